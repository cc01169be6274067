package main

import (
	"context"
	"fmt"

	kafka "github.com/segmentio/kafka-go"
)

// runKafkaGo writes n records with kafka-go's Writer (Produce v2, magic-1 messages) and reads
// them back with a partition Reader from the first offset (Fetch v2).
func runKafkaGo(broker, topic string, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	w := kafka.NewWriter(kafka.WriterConfig{Brokers: []string{broker}, Topic: topic, BatchSize: n})
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("kafka-go %d", i))}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		fail("kafka-go write: %v", err)
	}
	if err := w.Close(); err != nil {
		fail("kafka-go close writer: %v", err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: 0, MinBytes: 1, MaxBytes: 1 << 20})
	defer r.Close()
	if err := r.SetOffset(kafka.FirstOffset); err != nil {
		fail("kafka-go set offset: %v", err)
	}
	for i := 0; i < n; i++ {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			fail("kafka-go read %d: %v", i, err)
		}
		emit(m.Offset, m.Key, m.Value)
	}
}
