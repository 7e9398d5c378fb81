/** `torch.optim.swa_utils`: stochastic weight averaging and EMA of models. */

export {
  AveragedModel,
  type AvgFn,
  deepCopyModule,
  getEmaAvgFn,
  getEmaMultiAvgFn,
  type MultiAvgFn,
} from './averagedModel.js';
export { SWALR } from './swalr.js';
