import { fieldsOf } from '../http/body-contract';
import { MEDIA_TYPE_GLOB, DefaultDeliveryChannelBodyDto } from './default-delivery-channel-body.dto';
import { DEFAULT_CHANNEL_FIELDS } from './default-delivery-channel.fields';
import { channelFitProblem, policyNameOf } from './default-delivery-channels.service';

describe('policyNameOf (SPEC.md §3.4: a name or a policy URL ending /{channel}/{name})', () => {
  it.each([
    ['default', 'iiif-img', { name: 'default' }],
    ['https://api.example/customers/2/deliveryChannelPolicies/thumbs/small', 'thumbs', { name: 'small' }],
    ['https://api.example/customers/2/deliveryChannelPolicies/thumbs/small/', 'thumbs', { name: 'small' }],
    ['https://api.example/customers/2/deliveryChannelPolicies/iiif-av/my%2Dav', 'iiif-av', { name: 'my-av' }],
    [
      'https://api.example/customers/2/deliveryChannelPolicies/iiif-img/default',
      'thumbs',
      { problem: 'the policy URL is for channel "iiif-img", not "thumbs"' },
    ],
    [
      'https://api.example/customers/2/deliveryChannelPolicies/thumbs/%E0%A4%A',
      'thumbs',
      { problem: 'the policy URL has a malformed %-escape' },
    ],
  ])('%s on %s', (value, channel, expected) => {
    expect(policyNameOf(value, channel)).toEqual(expected);
  });
});

describe('channelFitProblem (the channels an asset of the media type may have, SPEC.md §3.4)', () => {
  it.each([
    ['iiif-img', 'image/*'],
    ['thumbs', 'image/jpeg'],
    ['iiif-img', 'IMAGE/tiff'],
    ['iiif-av', 'video/*'],
    ['iiif-av', 'audio/mp4'],
    ['file', '*/*'],
    ['file', 'application/pdf'],
    ['iiif-img', 'application/pdf'],
    ['thumbs', 'Application/PDF'],
    ['none', 'text/*'],
  ])('%s fits %s', (channel, glob) => {
    expect(channelFitProblem(channel, glob)).toBeNull();
  });
  it.each([
    ['iiif-img', 'video/*'],
    ['thumbs', '*/*'],
    ['iiif-img', 'application/*'],
    ['thumbs', 'application/zip'],
    ['iiif-av', 'image/*'],
    ['iiif-av', '*/*'],
  ])('%s does not fit %s', (channel, glob) => {
    expect(channelFitProblem(channel, glob)).toMatch(new RegExp(`"${channel}" needs`));
  });
});

describe('media type globs', () => {
  it.each([['image/*'], ['*/*'], ['video/mp4'], ['image/jp*'], ['application/vnd.ms-excel'], ['Image/TIFF']])(
    'accepts %s',
    (g) => expect(MEDIA_TYPE_GLOB.test(g)).toBe(true),
  );
  it.each([['image'], ['image/'], ['/*'], ['image/*;q=1'], ['image /jpeg'], ['image/jpeg/x'], ['']])(
    'refuses %j',
    (g) => expect(MEDIA_TYPE_GLOB.test(g)).toBe(false),
  );
});

describe('the rule body', () => {
  it("DTO keys are the field table's writable fields", () => {
    expect([...fieldsOf(DefaultDeliveryChannelBodyDto)].sort()).toEqual(
      [...DEFAULT_CHANNEL_FIELDS.writable].sort(),
    );
  });
});
