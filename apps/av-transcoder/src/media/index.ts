export * from './media-error';
export * from './ffmpeg';
export * from './preset-args';
export * from './av-transcode.service';
export * from './presets-announcer';
