export { LiveStream, OutboundBudget } from './live-stream.js';
export { SubscriberIndex } from './subscriber-index.js';
export { TailHub, isShutdownError, shutdownError, type TailHubOptions, type TailSink } from './tail-hub.js';
export { TrafficLiveHub, type TrafficAnswer, type TrafficLiveHubOptions, type TrafficSink } from './traffic-live-hub.js';
