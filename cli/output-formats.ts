/** The -o values of get and list, as kubectl names them. */
export const OUTPUT_FORMATS = ['json', 'yaml', 'name', 'wide'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
