// Manifest and config schema of mqtt_publish (publisher checks; see hj212_upstream/test/publisher-conformance.ts).
import t from 'tap';
import mqttPublish from '../index.ts';
import { publisherConformance } from '../../hj212_upstream/test/publisher-conformance.ts';

await publisherConformance(t, mqttPublish as never,
  [
    { url: 'mqtt://127.0.0.1:1883' },
    { url: 'mqtts://broker.example.com:8883', username: 'u', password: 'p', tls: { ca: '/etc/ca.pem' }, topic: 'city/{domain}/{site}/{device}/{point}', payload: 'batch', qos: 2, protocol_version: 4 },
  ],
  [
    [{ url: 'http://broker' }, /url/],
    [{ url: 'mqtt://b', qos: 0 }, /qos/],
    [{ url: 'mqtt://b', payload: 'csv' }, /payload/],
  ]);
