import { createMemoryQueue } from '@smtpkit/queue';
import { runQueueContract } from '@smtpkit/queue/testing';

runQueueContract('memory', ({ now }) => createMemoryQueue({ now }));
