// The part of sax (isaacs/sax-js, no types of its own) that s3-direct.ts's listing parser uses.
declare module 'sax' {
  export interface QualifiedTag {
    name: string;
  }
  export interface SAXParser {
    onopentag: (tag: QualifiedTag) => void;
    onclosetag: (name: string) => void;
    ontext: (text: string) => void;
    oncdata: (text: string) => void;
    onerror: (e: Error) => void;
    write(s: string): SAXParser;
    close(): SAXParser;
  }
  export function parser(strict: boolean, options?: { trim?: boolean; normalize?: boolean; position?: boolean; strictEntities?: boolean }): SAXParser;
  const sax: { parser: typeof parser };
  export default sax;
}
