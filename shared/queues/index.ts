export { QUEUE_NAMES, type QueueName } from './names.js';
export {
  messageJobId,
  type CreateMessageJob,
  type DeleteMessageJob,
  type BulkDeleteJob,
  type PinJob,
  type ReactionJob,
  type SetThreadJob,
  type ArchiveIdleThreadsJob,
  type UnpinJob,
  type MessageJob,
  type UpdateMessageJob,
  type JobPayload,
  type JobPayloads,
  type JobResult,
  type JobResults,
} from './payloads.js';
export {
  bullPrefix,
  closeQueues,
  createQueueEvents,
  type QueueEventSet,
  createQueues,
  defaultJobOptions,
  type QueueSet,
  type TypedQueue,
} from './queues.js';
