/**
 * The assistant suite on FerretDB (a database of its own) and Kafka (topics of their own). An
 * unreachable server fails the suite: nothing skips.
 */
import { realTarget } from '@chatgraph/test-support';
import { realEnv, startAssistant } from './harness';
import { describeAssistants } from './suites/assistants';

describeAssistants('assistant (FerretDB + Kafka)', realTarget(startAssistant, realEnv));
