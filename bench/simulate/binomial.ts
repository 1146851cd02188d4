/** The binomial and multinomial draws of the rollout simulation live in src/planner/draws.ts (the planner draws rollouts too). */
export * from '../../src/planner/draws';
