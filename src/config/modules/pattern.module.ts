import { ContainerModule } from 'inversify';
import { DEFAULT_PATTERN_MATCHER_OPTIONS, Re2jsPatternMatcher } from '../../adapters/re2/re2js-pattern-matcher';
import { bindFactory } from '../binding';
import { PATTERN_MATCHER } from '../tokens';

/** Regular expressions written by workflow authors (catch filters): re2js, linear time. */
export const patternModule = new ContainerModule(({ bind }) => {
  bindFactory(bind, PATTERN_MATCHER, [], () => new Re2jsPatternMatcher(DEFAULT_PATTERN_MATCHER_OPTIONS));
});
