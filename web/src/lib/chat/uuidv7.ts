// uuidv7 makes a message's id on the device (RFC 9562 version 7: a
// millisecond timestamp, then random bits), in lower case as the cell
// requires. The id is made once, when the message is typed, and every
// retry sends the same one: that is what makes a retry harmless.
export function uuidv7(now: number = Date.now(), random: Uint8Array = crypto.getRandomValues(new Uint8Array(10))): string {
  const r = (i: number) => random[i] ?? 0;
  const b = new Uint8Array(16);
  let t = Math.floor(now);
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = 0x70 | (r(0) & 0x0f);
  b[7] = r(1);
  b[8] = 0x80 | (r(2) & 0x3f);
  b.set(random.subarray(3, 10), 9);
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
