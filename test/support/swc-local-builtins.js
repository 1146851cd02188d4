/**
 * The jest transform: @swc/jest, then each module binds the builtins its hot loops use to
 * module-scope constants. Jest runs every module inside a vm context, where each access to a
 * global (`Math.log` in a loop) goes through the context's interceptors: 50-100x slower than
 * in a plain process (nodejs/node#31658, jestjs/jest#5163), which made the simulations in the
 * tests several times slower than the same code under node. A module-scope binding is
 * resolved once. Only the test run is affected: the service never runs in a vm context.
 */
const { createTransformer } = require('@swc/jest');

const BUILTINS = ['Math', 'Number', 'Array', 'Float64Array', 'Uint8Array', 'Int32Array', 'Map', 'Set', 'Object'];
const PRELUDE = `const { ${BUILTINS.join(', ')} } = globalThis;`;

function withLocalBuiltins(code) {
  // After the "use strict" directive, which must stay first; on the same line, so line numbers hold.
  const directive = /^("use strict";)/.exec(code);
  return directive ? `${directive[1]}${PRELUDE}${code.slice(directive[1].length)}` : `${PRELUDE}${code}`;
}

module.exports = {
  createTransformer(options) {
    const swc = createTransformer(options);
    return {
      ...swc,
      process(source, filename, jestOptions) {
        const out = swc.process(source, filename, jestOptions);
        return typeof out === 'string' ? withLocalBuiltins(out) : { ...out, code: withLocalBuiltins(out.code) };
      },
      getCacheKey(source, filename, jestOptions) {
        return `${swc.getCacheKey(source, filename, jestOptions)}:local-builtins-1`;
      },
    };
  },
};
