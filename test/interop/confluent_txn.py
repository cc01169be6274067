#!/usr/bin/python3
"""librdkafka's transactions through confluent-kafka (from Debian), for librdkafka-txn.test.ts.

Every outcome is a line on stdout; the last line is "done". Values say where they belong, so the
test can check what a read_committed consumer sees.

    confluent_txn.py produce BOOTSTRAP TOPIC PARTITIONS TXN_ID PLAN
        PLAN is "commit:10,abort:10,...": one transaction a step, with that many records
        "<step>-<commit|abort>-<i>" on partition i % PARTITIONS, committed or aborted (delivered
        first: all of them reach the log); then a
        last committed transaction with "end" on every partition. Lines: "committed STEP",
        "aborted STEP".
    confluent_txn.py consume BOOTSTRAP TOPIC PARTITIONS ISOLATION
        Reads every partition from the beginning (assigned, no group) with isolation.level
        ISOLATION (read_committed or read_uncommitted) until "end" on each. Lines:
        "record PARTITION OFFSET VALUE".
    confluent_txn.py fence BOOTSTRAP TOPIC TXN_ID
        A producer opens a transaction and writes "old-1"; a second one with the same
        transactional id commits "new-1" and "end" on partition 0; the first then tries to commit.
        Line: "fenced ERROR_NAME fatal=True|False" (or "not-fenced").
    confluent_txn.py run BOOTSTRAP TOPIC PARTITIONS TXN_ID RECORDS STOP_FILE
        Transactions 0, 1, 2, ... until STOP_FILE exists, each with RECORDS records "t<n>-<i>"
        on partition i % PARTITIONS; every fifth (n % 5 == 4) delivered and then aborted, the
        others committed. A retriable error is retried, an abortable one aborts; after a fatal
        one the outcome is unknown and a new producer takes over (its init_transactions ends
        what the last one left). Lines: "committed N", "aborted N", "unknown N ERROR_NAME".
"""
import os
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

TIMEOUT_S = 120
END = b'end'


def producer(bootstrap, txn_id):
    p = Producer({
        'bootstrap.servers': bootstrap,
        'transactional.id': txn_id,
        'linger.ms': 5,
        'topic.metadata.refresh.interval.ms': 1000,
    })
    p.init_transactions(TIMEOUT_S)
    return p


def delivered(err, msg):
    if err is not None:
        sys.stdout.write('fail %s %s\n' % (msg.value().decode(), err.name()))


def produce(bootstrap, topic, partitions, txn_id, plan):
    p = producer(bootstrap, txn_id)
    for step, item in enumerate(plan.split(',')):
        kind, count = item.split(':')
        p.begin_transaction()
        for i in range(int(count)):
            p.produce(topic, value=('%d-%s-%d' % (step, kind, i)).encode(), partition=i % partitions, on_delivery=delivered)
        if kind == 'commit':
            p.commit_transaction(TIMEOUT_S)
            sys.stdout.write('committed %d\n' % step)
        else:
            # Delivered first, so the aborted records are in the log (abort_transaction would
            # purge those still queued) and read_committed has something to filter.
            p.flush(TIMEOUT_S)
            p.abort_transaction(TIMEOUT_S)
            sys.stdout.write('aborted %d\n' % step)
        sys.stdout.flush()
    p.begin_transaction()
    for partition in range(partitions):
        p.produce(topic, value=END, partition=partition, on_delivery=delivered)
    p.commit_transaction(TIMEOUT_S)


def consume(bootstrap, topic, partitions, isolation):
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': 'confluent-txn-reader',
        'enable.auto.commit': False,
        'isolation.level': isolation,
    })
    c.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for partition in range(partitions)])
    ended = set()
    while len(ended) < partitions:
        msg = c.poll(1.0)
        if msg is None:
            continue
        if msg.error() is not None:
            sys.stdout.write('error %s\n' % msg.error().name())
            continue
        if msg.value() == END:
            ended.add(msg.partition())
        elif msg.partition() not in ended:
            sys.stdout.write('record %d %d %s\n' % (msg.partition(), msg.offset(), msg.value().decode()))
    c.close()


def fence(bootstrap, topic, txn_id):
    old = producer(bootstrap, txn_id)
    old.begin_transaction()
    old.produce(topic, value=b'old-1', partition=0, on_delivery=delivered)
    old.flush(TIMEOUT_S)
    new = producer(bootstrap, txn_id)
    new.begin_transaction()
    new.produce(topic, value=b'new-1', partition=0, on_delivery=delivered)
    new.produce(topic, value=END, partition=0, on_delivery=delivered)
    new.commit_transaction(TIMEOUT_S)
    try:
        old.produce(topic, value=b'old-2', partition=0, on_delivery=delivered)
        old.commit_transaction(TIMEOUT_S)
        sys.stdout.write('not-fenced\n')
    except KafkaException as e:
        err = e.args[0]
        sys.stdout.write('fenced %s fatal=%s\n' % (err.name(), err.fatal()))


def retried(call):
    """Calls `call` until it does not fail with a retriable error (librdkafka's advice for
    commit_transaction and abort_transaction); other errors are raised."""
    while True:
        try:
            return call()
        except KafkaException as e:
            if not e.args[0].retriable():
                raise


def run(bootstrap, topic, partitions, txn_id, records, stop_file):
    p = producer(bootstrap, txn_id)
    n = 0
    while not os.path.exists(stop_file):
        abort = n % 5 == 4
        try:
            p.begin_transaction()
            for i in range(records):
                while True:
                    try:
                        p.produce(topic, value=('t%d-%d' % (n, i)).encode(), partition=i % partitions, on_delivery=delivered)
                        break
                    except BufferError:
                        p.poll(0.1)
            if abort:
                retried(lambda: p.flush(TIMEOUT_S))
                retried(lambda: p.abort_transaction(TIMEOUT_S))
                sys.stdout.write('aborted %d\n' % n)
            else:
                retried(lambda: p.commit_transaction(TIMEOUT_S))
                sys.stdout.write('committed %d\n' % n)
        except KafkaException as e:
            err = e.args[0]
            if err.txn_requires_abort():
                retried(lambda: p.abort_transaction(TIMEOUT_S))
                sys.stdout.write('aborted %d\n' % n)
            else:
                sys.stdout.write('unknown %d %s\n' % (n, err.name()))
                sys.stdout.flush()
                p = producer(bootstrap, txn_id)
        sys.stdout.flush()
        n += 1


mode = sys.argv[1]
if mode == 'produce':
    produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
elif mode == 'consume':
    consume(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
elif mode == 'run':
    run(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), sys.argv[7])
elif mode == 'fence':
    fence(sys.argv[2], sys.argv[3], sys.argv[4])
else:
    raise SystemExit('unknown mode %s' % mode)
sys.stdout.write('done\n')
sys.stdout.flush()
