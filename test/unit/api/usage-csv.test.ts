import { csvLine } from '../../../api/routes/admin-usage';

describe('csvLine', () => {
  it('writes plain fields as they are, null as empty, and ends with CRLF', () => {
    expect(csvLine(['gpt-test', 3, null, '0.000015'])).toBe('gpt-test,3,,0.000015\r\n');
  });

  it('quotes fields with commas, quotes or line breaks and doubles quotes', () => {
    expect(csvLine(['a,b', 'say "hi"', 'two\nlines'])).toBe('"a,b","say ""hi""","two\nlines"\r\n');
  });

  it('defuses text that a spreadsheet would run as a formula, but not numbers', () => {
    expect(csvLine(['=SUM(A1)', '+1', '@x', -5])).toBe("'=SUM(A1),'+1,'@x,-5\r\n");
  });
});
