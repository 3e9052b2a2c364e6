// Cucumber runs the TypeScript steps through ts-node (CommonJS; tsx cannot emit decorator metadata).
module.exports = {
  default: {
    requireModule: ['ts-node/register/transpile-only'],
    require: ['features/support/**/*.ts', 'features/steps/**/*.ts'],
    paths: ['features/**/*.feature'],
    format: ['progress', 'summary', 'json:.tmp/cucumber-report.json'],
    strict: true,
  },
};
