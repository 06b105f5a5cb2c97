import {
  ImageDerivativesCreateV1,
  type AvTranscodeCompletedV1,
  type ObjectLocation,
} from '@vellum/contracts';
import type { ImageWork } from './ingest-planner';

/** What every work command carries: the asset attempt, the master's media type and where the master is. */
export interface WorkRef {
  customerId: number;
  spaceId: number;
  assetId: string;
  attempt: number;
  mediaType: string;
  source: ObjectLocation;
}

/**
 * The `image.derivatives.create.v1` of an image plan (SPEC.md §4.3): the pyramid (with `useOriginal` under
 * `iiif-img/use-original`) and/or the thumbnails. `avResult`: a video's poster frame is the `source`, and the
 * transcoder's reply rides along to be finalised with the poster's derivatives (SPEC.md §4.4).
 */
export function imageCommand(
  work: WorkRef,
  image: ImageWork,
  avResult?: AvTranscodeCompletedV1,
): ImageDerivativesCreateV1 {
  return Object.assign(new ImageDerivativesCreateV1(), {
    ...work,
    ...(image.pyramid
      ? {
          pyramid: {
            location: { bucket: image.pyramid.bucket, key: image.pyramid.key },
            tileSize: image.pyramid.tileSize,
            ...(image.useOriginal ? { useOriginal: true } : {}),
          },
        }
      : {}),
    ...(image.thumbnails ? { thumbnails: stripUndefined(image.thumbnails) } : {}),
    ...(avResult ? { avResult } : {}),
  });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
