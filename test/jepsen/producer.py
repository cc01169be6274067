#!/usr/bin/python3
"""One idempotent librdkafka producer of the queue workload (test/jepsen/queue.test.ts).

Sends records numbered 0, 1, 2, ... for DURATION seconds (the value says producer and number; the
partition is number % PARTITIONS, so where a record belongs is known), with enable.idempotence,
acks=all and librdkafka's default five requests in flight, then flushes. Every delivery report is a
line on stdout: "ack N PARTITION OFFSET" (offset -1: acknowledged implicitly, offset unknown) or
"fail N ERROR". The last line is "done SENT".

    producer.py BOOTSTRAP TOPIC PARTITIONS PRODUCER DURATION_S RATE_PER_S
"""
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, partitions, producer_index, duration_s, rate = sys.argv[1:7]
partitions = int(partitions)
duration_s = float(duration_s)
rate = int(rate)
out = sys.stdout

p = Producer({
    'bootstrap.servers': bootstrap,
    'enable.idempotence': True,
    'acks': 'all',
    'linger.ms': 5,
    # Records wait out the nemesis: a record is failed only after 5 minutes (librdkafka's default).
    'message.timeout.ms': 300000,
    # Metadata refreshes quickly after a leader moves, as a client under test would be set up.
    'topic.metadata.refresh.interval.ms': 1000,
})


def report(err, msg, n):
    if err is None:
        # An implicit acknowledgement has no offset: a request whose fate was unknown (a timeout)
        # was followed by one that succeeded, so librdkafka reports its records delivered (-1).
        offset = msg.offset()
        out.write('ack %d %d %d\n' % (n, msg.partition(), -1 if offset is None else offset))
    else:
        out.write('fail %d %s\n' % (n, err.name()))


sent = 0
start = time.monotonic()
while time.monotonic() - start < duration_s:
    # Paced: `rate` records a second, in steps of 10 ms.
    due = int((time.monotonic() - start) * rate)
    while sent < due:
        value = 'q%s-%d' % (producer_index, sent)
        n = sent
        try:
            p.produce(topic, value=value.encode(), partition=n % partitions, on_delivery=lambda err, msg, n=n: report(err, msg, n))
        except BufferError:
            p.poll(0.05)
            continue
        sent += 1
    p.poll(0.01)
    out.flush()

remaining = p.flush(300)
out.write('done %d %d\n' % (sent, remaining))
out.flush()
