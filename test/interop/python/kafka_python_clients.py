"""Debian's kafka-python against a broker, for sluice's interop tests (test/interop/kafka-python.test.ts).

    kafka_python_clients.py BROKER TOPIC N API_VERSION [GROUP]

Produces N records to partition 0 of TOPIC and reads them back from the beginning; with GROUP,
reads them as a member of that consumer group and commits. API_VERSION is 'auto' (negotiated from
ApiVersions) or a Kafka version such as 0.10.1 (magic-1 messages) or 0.9 (magic 0), which fixes the
protocol versions the client uses. Prints each record read as a JSON line {"offset","key","value"}.
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

broker, topic, count, api = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
group = sys.argv[5] if len(sys.argv) > 5 else None
api_version = None if api == 'auto' else tuple(int(p) for p in api.split('.'))
common = dict(bootstrap_servers=[broker], api_version=api_version, request_timeout_ms=30000)

producer = KafkaProducer(acks='all', **common)
for i in range(count):
    producer.send(topic, key=b'k%d' % i, value=('kafka-python %s %d' % (api, i)).encode(), partition=0).get(timeout=30)
producer.close()

if group is None:
    consumer = KafkaConsumer(consumer_timeout_ms=30000, enable_auto_commit=False, **common)
    consumer.assign([TopicPartition(topic, 0)])
    consumer.seek_to_beginning()
else:
    consumer = KafkaConsumer(topic, group_id=group, auto_offset_reset='earliest', enable_auto_commit=False,
                             consumer_timeout_ms=30000, session_timeout_ms=10000, heartbeat_interval_ms=1000, **common)
read = 0
for message in consumer:
    print(json.dumps({'offset': message.offset, 'key': message.key.decode(), 'value': message.value.decode()}), flush=True)
    read += 1
    if read == count:
        break
if read < count:
    sys.exit('read %d of %d records' % (read, count))
if group is not None:
    consumer.commit()
consumer.close()
