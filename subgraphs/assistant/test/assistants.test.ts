/** The assistant suite on the embedded document store and event bus. */
import { embeddedTarget } from '@chatgraph/test-support';
import { startAssistant } from './harness';
import { describeAssistants } from './suites/assistants';

describeAssistants('assistant (embedded)', embeddedTarget(startAssistant));
