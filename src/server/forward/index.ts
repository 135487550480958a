export { ForwardListener, type ForwardListenerOptions, type ForwardLog } from './forward-listener.js';
export { ForwardIngest, targetOf, forwardSource, type ForwardIngestOptions, type ForwardTarget } from './forward-ingest.js';
export { readFrame, frameDecoder, FrameTooLarge, type ForwardFrame, type RejectedFrame, type ForwardEvent, type ForwardMode } from './forward-frame.js';
export { EventTime, FORWARD_CODEC } from './event-time.js';
