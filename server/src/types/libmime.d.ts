// The few functions of libmime (no published types; a CommonJS instance) that the ingest floor uses.
declare module 'libmime' {
  const libmime: {
    /** Decodes RFC 2047 encoded words (`=?charset?B|Q?…?=`) in a header value. */
    decodeWords(value: string): string;
    /** The usual file extension of a MIME type (without the dot), `bin` when unknown. */
    detectExtension(mimeType: string): string;
  };
  export default libmime;
}
