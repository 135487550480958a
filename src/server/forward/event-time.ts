import { ExtData, ExtensionCodec } from '@msgpack/msgpack';

/** Fluentd's EventTime (msgpack ext type 0): seconds and nanoseconds, each a big-endian uint32. */
export class EventTime {
  constructor(readonly ns: bigint) {}

  /** As the dead-letter log keeps it (JSON): epoch nanoseconds as a decimal string. */
  toJSON(): string {
    return this.ns.toString();
  }
}

const EVENT_TIME = 0;

/** The codec of the forward listener: EventTime decoded; msgpack's own timestamp (-1) stays a Date. */
export const FORWARD_CODEC = new ExtensionCodec();
FORWARD_CODEC.register({
  type: EVENT_TIME,
  // An ext 0 of another size is kept as it came (the time slot then rejects it): never a throw inside the decoder.
  decode: (data) => (data.length === 8 ? eventTime(data) : new ExtData(EVENT_TIME, data)),
  encode: (value) => {
    if (!(value instanceof EventTime)) return null;
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, Number(value.ns / 1_000_000_000n));
    view.setUint32(4, Number(value.ns % 1_000_000_000n));
    return out;
  },
});

function eventTime(data: Uint8Array): EventTime {
  const view = new DataView(data.buffer, data.byteOffset, 8);
  return new EventTime(BigInt(view.getUint32(0)) * 1_000_000_000n + BigInt(view.getUint32(4)));
}
