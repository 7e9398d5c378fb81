import type { ConformanceContext } from '../context.js';
import { registerAutogradTests } from './autograd.js';
import { registerBackendRegistryTests } from './backendRegistry.js';
import { registerCreationTests } from './creation.js';
import { registerCrossBackendTests } from './crossBackend.js';
import { registerErrorsTests } from './errors.js';
import { registerFusedTests } from './fused.js';
import { registerFuzzTests } from './fuzz.js';
import { registerIndexingTests } from './indexing.js';
import { registerLoopMemoryTests } from './loopMemory.js';
import { registerLrSchedulerTests } from './lrScheduler.js';
import { registerMemoryTests } from './memory.js';
import { registerNnTests } from './nn.js';
import { registerNnDataTests } from './nnData.js';
import { registerNnLayersTests } from './nnLayers.js';
import { registerNnModuleTests } from './nnModule.js';
import { registerNnSeqTests } from './nnSeq.js';
import { registerOpsTests } from './ops.js';
import { registerOpsMathTests } from './opsMath.js';
import { registerOpsReduceTests } from './opsReduce.js';
import { registerLbfgsTests, registerOptimTests, registerSparseAdamTests } from './optim.js';
import { registerOptimClipTests } from './optimClip.js';
import { registerOptimValidationTests } from './optimValidation.js';
import { registerPrintingTests } from './printing.js';
import { registerPromotionTests } from './promotion.js';
import { registerPytorchFilesTests } from './pytorchFiles.js';
import { registerPytorchResumeTests } from './pytorchResume.js';
import { registerRandomTests } from './random.js';
import { registerSchedulerFuzzTests } from './schedulerFuzz.js';
import { registerSeedsTests } from './seeds.js';
import { registerSerializeTests } from './serialize.js';
import { registerSgdTests } from './sgd.js';
import { registerSizeArgsTests } from './sizeArgs.js';
import { registerViewsTests } from './views.js';

/**
 * Every suite of the conformance package, by name. A suite file exports one function that
 * registers its tests (`describe`/`it`) using the context. Add new suites here.
 */
export const suites: Record<string, (ctx: ConformanceContext) => void> = {
  creation: registerCreationTests,
  sizeArgs: registerSizeArgsTests,
  ops: registerOpsTests,
  opsMath: registerOpsMathTests,
  opsReduce: registerOpsReduceTests,
  promotion: registerPromotionTests,
  random: registerRandomTests,
  autograd: registerAutogradTests,
  errors: registerErrorsTests,
  memory: registerMemoryTests,
  loopMemory: registerLoopMemoryTests,
  backendRegistry: registerBackendRegistryTests,
  sgd: registerSgdTests,
  crossBackend: registerCrossBackendTests,
  seeds: registerSeedsTests,
  optim: registerOptimTests,
  lbfgs: registerLbfgsTests,
  sparseAdam: registerSparseAdamTests,
  fuzz: registerFuzzTests,
  optimClip: registerOptimClipTests,
  optimValidation: registerOptimValidationTests,
  serialize: registerSerializeTests,
  pytorchFiles: registerPytorchFilesTests,
  pytorchResume: registerPytorchResumeTests,
  lrScheduler: registerLrSchedulerTests,
  schedulerFuzz: registerSchedulerFuzzTests,
  nn: registerNnTests,
  nnModule: registerNnModuleTests,
  nnData: registerNnDataTests,
  nnLayers: registerNnLayersTests,
  nnSeq: registerNnSeqTests,
  fused: registerFusedTests,
  views: registerViewsTests,
  indexing: registerIndexingTests,
  printing: registerPrintingTests,
};
