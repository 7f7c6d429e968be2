export { CodegenError, parseApiJson, readApiFile, type ApiFile } from './model';
export { crc32, messageCrc, fileCrcTypes, BACKWARDS_COMPATIBLE_MEMBERS } from './crc';
export { Program } from './resolve';
export { pascal } from './emit';
export {
  findApiFiles,
  loadApiFiles,
  selectModules,
  generate,
  writeGenerated,
  importDefs,
  generatorVersion,
  type GenerateResult,
} from './generate';
