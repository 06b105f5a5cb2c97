import { BusMessageDeadLetteredV1 } from '@vellum/contracts';
import { deadLetterError } from './dead-letter.handler';

function event(fields: Partial<BusMessageDeadLetteredV1>): BusMessageDeadLetteredV1 {
  return Object.assign(new BusMessageDeadLetteredV1(), {
    service: 'image-processor',
    queue: 'image-processor.image.derivatives.create.v1',
    messageType: 'image.derivatives.create.v1',
    reason: 'exhausted',
    error: 'connect ECONNREFUSED 127.0.0.1:9000',
    attempts: 5,
    crashes: 0,
    ...fields,
  });
}

describe('deadLetterError', () => {
  it.each([
    [event({}), 'Image processing failed after 5 attempts (retryable): connect ECONNREFUSED 127.0.0.1:9000'],
    [
      event({
        reason: 'timeout',
        error:
          'the image.derivatives.create.v1 handler did not finish within 1500000 ms (handler deadline); abandoned',
      }),
      'Image processing hung (the image-processor gave up at its handler deadline) after 5 attempts (retryable): the image.derivatives.create.v1 handler did not finish within 1500000 ms (handler deadline); abandoned',
    ],
    [
      event({ reason: 'permanent', error: 'corrupt', attempts: 1 }),
      'Image processing failed: corrupt (permanent, 1 attempt)',
    ],
    [
      event({ reason: 'invalid', error: 'data.assetId must be a string', attempts: 1 }),
      'Image processing was rejected by the image-processor as an invalid message: data.assetId must be a string (permanent, 1 attempt)',
    ],
    [
      event({ reason: 'crashed', crashes: 3, attempts: 1 }),
      'Image processing was abandoned: it was in hand each of the 3 times the image-processor died (the file may be malformed, or need more memory or time than the worker has)',
    ],
    [
      event({
        service: 'ingest-orchestrator',
        messageType: 'asset.ingest.requested.v1',
        reason: 'timeout',
        error: 'x',
        attempts: 2,
      }),
      'Ingest hung (the ingest-orchestrator gave up at its handler deadline) after 2 attempts (retryable): x',
    ],
  ])('%#', (e, expected) => {
    expect(deadLetterError(e)).toBe(expected);
  });

  it('is bounded to 1,500 characters', () => {
    expect(deadLetterError(event({ error: 'x'.repeat(5000) }))).toHaveLength(1500);
  });
});
