/**
 * A short kind for a file ("Excel workbook", "PDF document") from its MIME type, else its
 * extension. A table rather than a library: the MIME databases name formats, not what a
 * technician calls them.
 */
const BY_TYPE: Record<string, string> = {
  'application/pdf': 'PDF document',
  'application/msword': 'Word document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word document',
  'application/vnd.ms-excel': 'Excel workbook',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel workbook',
  'application/vnd.ms-excel.sheet.macroenabled.12': 'Excel workbook (macros)',
  'application/vnd.ms-powerpoint': 'PowerPoint presentation',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint presentation',
  'application/vnd.oasis.opendocument.text': 'OpenDocument text',
  'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument spreadsheet',
  'application/vnd.oasis.opendocument.presentation': 'OpenDocument presentation',
  'application/vnd.ms-outlook': 'Outlook message',
  'message/rfc822': 'Email message',
  'application/rtf': 'Rich text document',
  'text/rtf': 'Rich text document',
  'text/plain': 'Text file',
  'text/csv': 'CSV table',
  'text/html': 'Web page',
  'text/calendar': 'Calendar invitation',
  'application/ics': 'Calendar invitation',
  'application/zip': 'ZIP archive',
  'application/x-zip-compressed': 'ZIP archive',
  'application/x-7z-compressed': '7-Zip archive',
  'application/x-rar-compressed': 'RAR archive',
  'application/vnd.rar': 'RAR archive',
  'application/gzip': 'Gzip archive',
  'application/json': 'JSON file',
  'application/xml': 'XML file',
  'text/xml': 'XML file',
  'application/pgp-signature': 'Signature',
  'application/pkcs7-signature': 'Signature',
  'application/x-pkcs7-signature': 'Signature',
  'image/svg+xml': 'SVG image',
};

const BY_EXTENSION: Record<string, string> = {
  pdf: 'PDF document', doc: 'Word document', docx: 'Word document', xls: 'Excel workbook', xlsx: 'Excel workbook', xlsm: 'Excel workbook (macros)',
  ppt: 'PowerPoint presentation', pptx: 'PowerPoint presentation', odt: 'OpenDocument text', ods: 'OpenDocument spreadsheet', odp: 'OpenDocument presentation',
  msg: 'Outlook message', eml: 'Email message', rtf: 'Rich text document', txt: 'Text file', log: 'Log file', csv: 'CSV table', ics: 'Calendar invitation',
  zip: 'ZIP archive', '7z': '7-Zip archive', rar: 'RAR archive', gz: 'Gzip archive', json: 'JSON file', xml: 'XML file', exe: 'Program', msi: 'Installer',
};

export function extensionOf(filename: string): string {
  const m = /\.([a-z0-9]{1,8})$/i.exec(filename.trim());
  return m ? m[1]!.toLowerCase() : '';
}

export function fileKind(contentType: string, filename: string): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const ext = extensionOf(filename);
  // A generic type says nothing: the extension knows better (Outlook sends many files as octet-stream).
  if (BY_TYPE[type] && type !== 'application/octet-stream') return BY_TYPE[type]!;
  if (BY_EXTENSION[ext]) return BY_EXTENSION[ext]!;
  const [major, minor = ''] = type.split('/');
  if (major === 'image' || major === 'audio' || major === 'video') {
    const label = (minor.replace(/^(x-|vnd\.)/, '').split(/[.+-]/)[0] || ext).toUpperCase();
    return `${label} ${major}`.trim();
  }
  return ext ? `${ext.toUpperCase()} file` : 'File';
}

/** The badge on a file card: the extension, at most four letters. */
export function fileBadge(filename: string): string {
  return extensionOf(filename).slice(0, 4).toUpperCase() || 'FILE';
}
