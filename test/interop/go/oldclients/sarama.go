package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

var codecs = map[string]sarama.CompressionCodec{
	"none":   sarama.CompressionNone,
	"gzip":   sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy,
	"lz4":    sarama.CompressionLZ4,
}

func saramaConfig(version string) *sarama.Config {
	v, err := sarama.ParseKafkaVersion(version)
	if err != nil {
		fail("sarama version %q: %v", version, err)
	}
	c := sarama.NewConfig()
	c.Version = v
	c.ClientID = "sluice-interop"
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	return c
}

// runSarama sends n records to partition 0 with a producer (in one compressed set when `codec`
// is not none) and reads them back with a partition consumer from the oldest offset, at the
// protocol versions `version` selects.
func runSarama(broker, topic string, n int, version, codec string) {
	config := saramaConfig(version)
	c, ok := codecs[codec]
	if !ok {
		fail("unknown codec %q", codec)
	}
	config.Producer.Compression = c
	// Everything sent is flushed as one request, so that a compressed set holds several messages.
	config.Producer.Flush.Messages = n
	config.Producer.Flush.Frequency = time.Second
	producer, err := sarama.NewSyncProducer([]string{broker}, config)
	if err != nil {
		fail("sarama producer: %v", err)
	}
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Partition: 0, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("sarama %s %d", version, i))}
	}
	if err := producer.SendMessages(msgs); err != nil {
		fail("sarama send: %v", err)
	}
	if err := producer.Close(); err != nil {
		fail("sarama close producer: %v", err)
	}
	consumer, err := sarama.NewConsumer([]string{broker}, config)
	if err != nil {
		fail("sarama consumer: %v", err)
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		fail("sarama consume partition: %v", err)
	}
	defer pc.Close()
	timeout := time.After(deadline)
	for i := 0; i < n; i++ {
		select {
		case m := <-pc.Messages():
			emit(m.Offset, m.Key, m.Value)
		case err := <-pc.Errors():
			fail("sarama consume: %v", err)
		case <-timeout:
			fail("sarama consume: %d of %d records after %s", i, n, deadline)
		}
	}
}

type groupHandler struct {
	want int
	got  int
	done chan struct{}
}

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *groupHandler) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		emit(m.Offset, m.Key, m.Value)
		session.MarkMessage(m, "")
		h.got++
		if h.got == h.want {
			close(h.done)
			return nil
		}
	}
	return nil
}

// runSaramaGroup reads n records as a member of a consumer group and commits them.
func runSaramaGroup(broker, topic string, n int, version, group string) {
	config := saramaConfig(version)
	config.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	cg, err := sarama.NewConsumerGroup([]string{broker}, group, config)
	if err != nil {
		fail("sarama group: %v", err)
	}
	h := &groupHandler{want: n, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "sarama group consume: %v\n", err)
			}
		}
	}()
	go func() {
		for err := range cg.Errors() {
			fmt.Fprintf(os.Stderr, "sarama group: %v\n", err)
		}
	}()
	select {
	case <-h.done:
	case <-ctx.Done():
		fail("sarama group: %d of %d records after %s", h.got, n, deadline)
	}
	cancel()
	// Close commits the marked offsets and leaves the group.
	if err := cg.Close(); err != nil {
		fail("sarama group close: %v", err)
	}
}
