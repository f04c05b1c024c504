import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

/** Issue 14: the issuer is a URL, earlier issuers are listed, the key publication delay is set. */

const base = { TOKENWARD_DATA_DIR: '/tmp/tokenward-config-test' };

describe('OAuth configuration', () => {
  it('the issuer defaults to the public URL, which defaults to http://localhost:<PORT>', () => {
    expect(loadConfig({ ...base, PORT: '7000' })).toMatchObject({
      publicUrl: 'http://localhost:7000',
      issuer: 'http://localhost:7000',
    });
    expect(loadConfig({ ...base, TOKENWARD_PUBLIC_URL: 'https://tokens.example.com/' })).toMatchObject({
      publicUrl: 'https://tokens.example.com',
      issuer: 'https://tokens.example.com',
    });
    expect(loadConfig({ ...base, TOKENWARD_ISSUER: 'https://issuer.example.com' }).issuer).toBe(
      'https://issuer.example.com',
    );
  });

  it('tokens of the old default issuer `tokenward` keep verifying unless TOKENWARD_LEGACY_ISSUERS says otherwise', () => {
    expect(loadConfig(base).legacyIssuers).toEqual(['tokenward']);
    expect(loadConfig({ ...base, TOKENWARD_LEGACY_ISSUERS: '' }).legacyIssuers).toEqual([]);
    expect(
      loadConfig({ ...base, TOKENWARD_LEGACY_ISSUERS: 'tokenward, https://old.example.com' }).legacyIssuers,
    ).toEqual(['tokenward', 'https://old.example.com']);
    // The current issuer is not a legacy one.
    expect(loadConfig({ ...base, TOKENWARD_ISSUER: 'tokenward' }).legacyIssuers).toEqual([]);
    expect(() => loadConfig({ ...base, TOKENWARD_LEGACY_ISSUERS: 'bad\u0001issuer' })).toThrow(ConfigError);
  });

  it('the key publication delay defaults to the JWKS max-age plus 60 s and is bounded', () => {
    expect(loadConfig(base).keyPublicationDelaySeconds).toBe(120);
    expect(
      loadConfig({ ...base, TOKENWARD_KEY_PUBLICATION_DELAY_SECONDS: '0' }).keyPublicationDelaySeconds,
    ).toBe(0);
    expect(() => loadConfig({ ...base, TOKENWARD_KEY_PUBLICATION_DELAY_SECONDS: '-5' })).toThrow(
      /TOKENWARD_KEY_PUBLICATION_DELAY_SECONDS/,
    );
    expect(() => loadConfig({ ...base, TOKENWARD_KEY_PUBLICATION_DELAY_SECONDS: '9999999' })).toThrow(
      ConfigError,
    );
  });
});
