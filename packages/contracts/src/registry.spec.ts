import {
  AssetIngestRequestedV1,
  CustomerApiKeyDeletedV1,
  ImageDerivativesCreateV1,
  InvalidMessageError,
  allMessages,
  createEnvelope,
  messageClassFor,
  registerMessage,
  validateEnvelope,
  validatePayload,
} from './index';

describe('message registry', () => {
  it('names every message <domain>.<entity>.<event>.v<N> and registers each once', () => {
    const keys = allMessages().map((m) => m.routingKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of keys) expect(k).toMatch(/^[a-z-]+(\.[a-z-]+){1,3}\.v\d+$/);
    expect(messageClassFor('asset.ingest.requested.v1')).toBe(AssetIngestRequestedV1);
  });

  it('refuses a duplicate or malformed routing key', () => {
    expect(() => registerMessage(AssetIngestRequestedV1)).toThrow(/twice/);
    class Bad {
      static routingKey = 'Bad Key';
      static description = '';
      static producers = [];
      static consumers = [];
    }
    expect(() => registerMessage(Bad)).toThrow(/Malformed/);
  });

  it('validates payloads and rejects unknown or missing fields', () => {
    const ok = validatePayload<AssetIngestRequestedV1>('asset.ingest.requested.v1', {
      customerId: 2,
      spaceId: 1,
      assetId: 'a',
      attempt: 1,
      priority: true,
    });
    expect(ok).toBeInstanceOf(AssetIngestRequestedV1);
    expect(() => validatePayload('asset.ingest.requested.v1', { customerId: 2 })).toThrow(
      InvalidMessageError,
    );
    expect(() =>
      validatePayload('asset.ingest.requested.v1', {
        customerId: 2,
        spaceId: 1,
        assetId: 'a',
        attempt: 1,
        priority: true,
        extra: 1,
      }),
    ).toThrow(/extra/);
    expect(() => validatePayload('no.such.thing.v1', {})).toThrow(/unknown routing key/);
    expect(() => validatePayload('asset.ingest.requested.v1', [])).toThrow(/JSON object/);
  });

  it('validates nested payloads', () => {
    const base = { customerId: 1, spaceId: 1, assetId: 'x', attempt: 1, mediaType: 'image/jpeg' };
    expect(() =>
      validatePayload(ImageDerivativesCreateV1.routingKey, {
        ...base,
        source: { bucket: 'Bad_Bucket', key: 'k' },
      }),
    ).toThrow(/source\.bucket/);
    expect(
      validatePayload(ImageDerivativesCreateV1.routingKey, {
        ...base,
        source: { bucket: 'vellum-origins', key: '1/1/x/origin' },
        thumbnails: { sizes: ['!400,400', '200,'], bucket: 'vellum-thumbs', keyPrefix: '1/1/x' },
      }),
    ).toBeInstanceOf(ImageDerivativesCreateV1);
  });

  it("carries a video's transcode reply as avResult in the image command and its created reply, validated", () => {
    const ref = { customerId: 1, spaceId: 1, assetId: 'v', attempt: 2 };
    const avResult = {
      ...ref,
      duration: 5055,
      width: 960,
      height: 540,
      outputs: [],
      poster: {
        location: { bucket: 'vellum-derivatives', key: '1/1/v/av/poster.jpg', size: 60 },
        mediaType: 'image/jpeg',
        width: 960,
        height: 540,
      },
    };
    const cmd = {
      ...ref,
      mediaType: 'image/jpeg',
      source: { bucket: 'vellum-derivatives', key: '1/1/v/av/poster.jpg' },
    };
    const ok = validatePayload(ImageDerivativesCreateV1.routingKey, { ...cmd, avResult });
    expect((ok as ImageDerivativesCreateV1).avResult?.poster?.width).toBe(960);
    expect(() =>
      validatePayload(ImageDerivativesCreateV1.routingKey, {
        ...cmd,
        avResult: { ...avResult, duration: -1 },
      }),
    ).toThrow(/avResult\.duration/);
    const reply = { ...ref, width: 960, height: 540, openThumbnails: [], authThumbnails: [], elapsedMs: 5 };
    expect(validatePayload('image.derivatives.created.v1', { ...reply, avResult })).toMatchObject({
      avResult: { duration: 5055 },
    });
  });

  it('validates customer.apikey.deleted.v1: non-empty keys (none only for a deleted customer), customerDeleted', () => {
    const key = 'customer.apikey.deleted.v1';
    expect(validatePayload(key, { customerId: 2, keys: ['k1'], customerDeleted: false })).toBeInstanceOf(
      CustomerApiKeyDeletedV1,
    );
    expect(validatePayload(key, { customerId: 2, keys: [], customerDeleted: true })).toBeInstanceOf(
      CustomerApiKeyDeletedV1,
    );
    for (const bad of [
      { customerId: 2, keys: [], customerDeleted: false },
      { customerId: 2, keys: [''], customerDeleted: false },
      { customerId: 0, keys: ['k1'], customerDeleted: false },
      { customerId: 2, keys: ['k1'] },
      { customerId: 2, keys: ['k1'], customerDeleted: false, secret: 's' },
    ])
      expect(() => validatePayload(key, bad)).toThrow(InvalidMessageError);
  });

  it('builds and validates envelopes', () => {
    const e = createEnvelope('asset.created.v1', { a: 1 }, { correlationId: 'c', producer: 'test' });
    expect(e).toMatchObject({
      type: 'asset.created.v1',
      correlationId: 'c',
      producer: 'test',
      data: { a: 1 },
    });
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(validateEnvelope(e)).toBe(e);
    expect(() => validateEnvelope({ type: 'x' })).toThrow(/id: must be/);
  });
});
