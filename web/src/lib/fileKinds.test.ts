import { describe, expect, it } from 'vitest';
import { fileBadge, fileKind } from './fileKinds';

describe('fileKind', () => {
  it('names Office, PDF and mail types the way people do', () => {
    expect(fileKind('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'Budget.xlsx')).toBe('Excel workbook');
    expect(fileKind('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'x.docx')).toBe('Word document');
    expect(fileKind('application/pdf', 'invoice-0042.pdf')).toBe('PDF document');
    expect(fileKind('message/rfc822', 'Printer down.eml')).toBe('Email message');
  });
  it('falls back on the extension when the type is generic, and on the type family', () => {
    expect(fileKind('application/octet-stream', 'report.xlsx')).toBe('Excel workbook');
    expect(fileKind('application/octet-stream', 'data.bin')).toBe('BIN file');
    expect(fileKind('application/octet-stream', 'noextension')).toBe('File');
    expect(fileKind('image/png', 'image001.png')).toBe('PNG image');
    expect(fileKind('image/jpeg', 'photo.jpg')).toBe('JPEG image');
    expect(fileKind('video/x-msvideo', 'clip.avi')).toBe('MSVIDEO video');
  });
  it('badges the extension, four letters at most', () => {
    expect(fileBadge('Budget 2024.xlsx')).toBe('XLSX');
    expect(fileBadge('archive.tar.gzip')).toBe('GZIP');
    expect(fileBadge('README')).toBe('FILE');
  });
});
