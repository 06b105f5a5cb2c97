import { fieldsOf } from '../http/body-contract';
import { DeliveryChannelPolicyBodyDto } from './policy-body.dto';
import { avPresetProblem, parsePolicyData, thumbnailSizeProblem } from './policy-data';
import { POLICY_FIELDS } from './policy.fields';

describe('thumbs policyData entries (SPEC.md §3.3: w, ,h or !w,h, optionally ^)', () => {
  it.each([
    ['200,'],
    [',200'],
    ['!400,400'],
    ['!1024,768'],
    ['^200,'],
    ['^,150'],
    ['^!400,400'],
    ['1,'],
    ['65535,'],
    ['!65535,65535'],
  ])('accepts %s', (entry) => {
    expect(thumbnailSizeProblem(entry)).toBeNull();
  });

  it.each([
    ['max', /max is not a thumbnail size/],
    ['^max', /max is not a thumbnail size/],
    ['pct:50', /pct: sizes are not thumbnail sizes/],
    ['^pct:120', /pct: sizes/],
    ['200,100', /would distort/],
    ['^200,100', /would distort/],
    ['full', /not a IIIF size/],
    ['200.5,', /not a IIIF size/],
    [',0.5', /not a IIIF size/],
    ['0,', /not a IIIF size/],
    ['!0,100', /not a IIIF size/],
    ['!200,', /not a IIIF size/],
    ['!,200', /not a IIIF size/],
    [',', /not a IIIF size/],
    ['', /not a IIIF size/],
    ['-200,', /not a IIIF size/],
    ['+200,', /not a IIIF size/],
    ['200', /not a IIIF size/],
    [' 200,', /not a IIIF size/],
    ['200,,', /not a IIIF size/],
    ['1e3,', /not a IIIF size/],
    ['^^200,', /not a IIIF size/],
    ['65536,', /at most 65535/],
    ['!100,99999999', /at most 65535/],
  ])('refuses %j', (entry, message) => {
    expect(thumbnailSizeProblem(entry)).toMatch(message);
  });
});

describe('iiif-av policyData entries (SPEC.md §4.4: the transcoder presets)', () => {
  it.each([
    ['audio-mp3-128'],
    ['audio-mp3-192'],
    ['audio-aac-128'],
    ['video-mp4-480p'],
    ['video-mp4-720p'],
    ['video-mp4-1080p'],
    ['video-webm-720p'],
  ])('accepts %s', (p) => {
    expect(avPresetProblem(p)).toBeNull();
  });
  it.each([['video-mp4-2160p'], ['Audio-MP3-128'], ['audio-aac-192'], [' audio-mp3-128'], ['']])(
    'refuses %j',
    (p) => {
      expect(avPresetProblem(p)).toMatch(/is not an AV preset \(one of audio-mp3-128, .*GET \/avPresets/);
    },
  );
});

describe('parsePolicyData (a JSON-encoded string array, non-empty, no duplicates)', () => {
  it.each([
    ['thumbs', '["!400,400","200,"]', ['!400,400', '200,']],
    ['thumbs', '[ "^!1024,1024" ]', ['^!1024,1024']],
    ['iiif-av', '["video-mp4-720p","audio-mp3-128"]', ['video-mp4-720p', 'audio-mp3-128']],
  ] as const)('%s %s', (channel, raw, entries) => {
    expect(parsePolicyData(channel, raw)).toEqual({ entries });
  });

  it.each([
    ['thumbs', 'not json', /JSON-encoded array of strings/],
    ['thumbs', '"!400,400"', /JSON-encoded array of strings/],
    ['thumbs', '{"a":1}', /JSON-encoded array of strings/],
    ['thumbs', '[400]', /JSON-encoded array of strings/],
    ['thumbs', '["!400,400",null]', /JSON-encoded array of strings/],
    ['thumbs', '[]', /at least one entry/],
    ['thumbs', JSON.stringify(Array.from({ length: 51 }, (_, i) => `${i + 1},`)), /at most 50 entries/],
    ['thumbs', '["!400,400","!400,400"]', /entry 2 "!400,400" appears more than once/],
    ['thumbs', '[""]', /entry 1 must be 1 to 100 characters/],
    ['thumbs', JSON.stringify(['1'.repeat(101)]), /entry 1 must be 1 to 100 characters/],
    ['thumbs', '["!400,400","max"]', /entry 2: "max": max is not a thumbnail size/],
    ['iiif-av', '["video-mp4-720p","video-webm"]', /entry 2: "video-webm" is not an AV preset/],
    ['iiif-av', '["!400,400"]', /entry 1: "!400,400" is not an AV preset/],
  ] as const)('%s %s → a problem', (channel, raw, message) => {
    const r = parsePolicyData(channel, raw);
    expect(r.entries).toBeUndefined();
    expect(r.problems!.join('; ')).toMatch(message);
  });

  it('lists every bad entry, not only the first', () => {
    expect(parsePolicyData('thumbs', '["max","200,","pct:10","200,100"]').problems).toHaveLength(3);
  });
});

describe('the policy body', () => {
  it("DTO keys are the field table's writable fields", () => {
    expect([...fieldsOf(DeliveryChannelPolicyBodyDto)].sort()).toEqual([...POLICY_FIELDS.writable].sort());
  });
});
