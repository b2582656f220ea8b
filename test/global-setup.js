// Jest loads global set-up outside its own module system, where ts-jest's path mapping does not
// apply; tsx compiles the TypeScript set-up on the fly instead.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { prepareTestEnvironment } = await tsImport('./prepare.ts', import.meta.url);
  await prepareTestEnvironment();
}
