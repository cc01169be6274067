// Command oldclients drives Debian's Go Kafka clients against a broker for sluice's interop tests
// (test/interop/go-clients.test.ts). Built in GOPATH mode from /usr/share/gocode, offline.
//
//	oldclients kafka-go BROKER TOPIC N            produce N records, read them back from offset 0
//	oldclients sarama BROKER TOPIC N VERSION CODEC  the same with sarama at a Kafka VERSION (0.8.2.0 ...),
//	                                                compressed with CODEC (none, gzip, snappy, lz4)
//	oldclients kafka-go-group BROKER TOPIC N GROUP          read N records as a member of GROUP, commit
//	oldclients sarama-group BROKER TOPIC N VERSION GROUP   the same with sarama at a Kafka VERSION
//
// Each record read is printed as one JSON line {"offset","key","value"}; any failure exits 1 with
// the reason on stderr. Every step has a deadline, so a broker that answers wrong cannot hang it.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"
)

const deadline = 30 * time.Second

type record struct {
	Offset int64  `json:"offset"`
	Key    string `json:"key"`
	Value  string `json:"value"`
}

func emit(offset int64, key, value []byte) {
	line, _ := json.Marshal(record{Offset: offset, Key: string(key), Value: string(value)})
	fmt.Println(string(line))
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 5 {
		fail("usage: oldclients kafka-go|kafka-go-group|sarama|sarama-group BROKER TOPIC N [VERSION [GROUP]]")
	}
	broker, topic := os.Args[2], os.Args[3]
	n, err := strconv.Atoi(os.Args[4])
	if err != nil {
		fail("bad count %q", os.Args[4])
	}
	arg := func(i int) string {
		if len(os.Args) <= i {
			fail("missing argument %d", i)
		}
		return os.Args[i]
	}
	switch os.Args[1] {
	case "kafka-go":
		runKafkaGo(broker, topic, n)
	case "kafka-go-group":
		runKafkaGoGroup(broker, topic, n, arg(5))
	case "sarama":
		runSarama(broker, topic, n, arg(5), arg(6))
	case "sarama-group":
		runSaramaGroup(broker, topic, n, arg(5), arg(6))
	default:
		fail("unknown client %q", os.Args[1])
	}
}
