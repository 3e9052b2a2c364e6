import { ContainerModule } from 'inversify';
import { PatternMatcher } from '../../application/ports/pattern-matcher.port';
import { TOKENS } from '../../application/ports/tokens';
import { DEFAULT_PATTERN_MATCHER_OPTIONS, Re2jsPatternMatcher } from '../../adapters/re2/re2js-pattern-matcher';

/** Regular expressions written by workflow authors (catch filters): re2js, linear time. */
export const patternModule = new ContainerModule(({ bind }) => {
  bind<PatternMatcher>(TOKENS.PatternMatcher).toResolvedValue(() => new Re2jsPatternMatcher(DEFAULT_PATTERN_MATCHER_OPTIONS));
});
