// One app log line: JSON with the pod, a sequence number (so Kafka consumers can count losses and
// duplicates per pod) and padding up to the requested size.

export function formatLine(pod: string, seq: number, now: number, targetBytes: number): string {
  const head = `{"ts":"${new Date(now).toISOString()}","pod":${JSON.stringify(pod)},"seq":${seq},"pad":"`;
  const tail = '"}';
  const padLen = Math.max(0, targetBytes - Buffer.byteLength(head) - tail.length);
  return head + 'x'.repeat(padLen) + tail;
}
