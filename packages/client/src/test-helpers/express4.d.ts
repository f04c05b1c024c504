// express4 is express@4 installed under another name (a devDependency) so that the middleware
// suite runs on both majors; it has no declarations of its own.
declare module 'express4' {
  import type express from 'express';

  const express4: typeof express;
  export default express4;
}
