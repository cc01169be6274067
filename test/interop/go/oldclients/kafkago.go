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

// runKafkaGoGroup reads n records as a member of a consumer group with kafka-go's Reader and
// commits them (JoinGroup, SyncGroup, OffsetFetch, Fetch v2, OffsetCommit).
func runKafkaGoGroup(broker, topic string, n int, group string) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, GroupID: group, MinBytes: 1, MaxBytes: 1 << 20})
	for i := 0; i < n; i++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			fail("kafka-go group read %d: %v", i, err)
		}
		emit(m.Offset, m.Key, m.Value)
		if err := r.CommitMessages(ctx, m); err != nil {
			fail("kafka-go group commit %d: %v", i, err)
		}
	}
	if err := r.Close(); err != nil {
		fail("kafka-go group close: %v", err)
	}
}
