import { FormFields, formValue } from './form-fields';

describe('formValue', () => {
  it.each([
    ['number1', '42', 42],
    ['number1', ' -7 ', -7],
    ['number1', '', null],
    ['number1', '4.5', '4.5'],
    ['space', '1', 1],
    ['maxWidth', 'big', 'big'],
    ['tags', '["a","b"]', ['a', 'b']],
    ['tags', '', null],
    ['tags', 'a,b', 'a,b'],
    ['tags', '[not json', '[not json'],
    [
      'deliveryChannels',
      '["iiif-img",{"channel":"thumbs","policy":"default"}]',
      ['iiif-img', { channel: 'thumbs', policy: 'default' }],
    ],
    ['manifests', '[]', []],
    ['string1', '42', '42'],
    ['mediaType', 'image/jpeg', 'image/jpeg'],
    ['id', '', ''],
    ['@type', 'vocab:Image', 'vocab:Image'],
    ['unknownThing', '["x"]', '["x"]'],
  ])('%s=%j → %j', (name, text, value) => {
    expect(formValue(name, text)).toEqual(value);
  });
});

describe('FormFields', () => {
  it('builds the body and names a field given twice', () => {
    const f = new FormFields();
    f.add('mediaType', 'image/png');
    f.add('number2', '3');
    f.add('mediaType', 'image/jpeg');
    expect(f.body()).toEqual({ mediaType: 'image/png', number2: 3 });
    expect(f.errors).toEqual([{ field: 'mediaType', message: 'mediaType is given more than once' }]);
  });
});
