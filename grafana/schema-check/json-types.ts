import type { FieldConfig, FieldConfigSource, Panel } from '@grafana/schema';

// Grafana's schema types use TypeScript string enums (ThresholdsMode, LegendDisplayMode, ...), and a JSON
// string is never assignable to a string enum. Json<T> is T with every string enum replaced by the union of
// its values, so a dashboard's JSON literal is checked against the same shapes and the same allowed values.
export type Json<T> = T extends string
  ? `${T}`
  : T extends (infer E)[]
    ? Json<E>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

// @grafana/schema's Panel<TOptions, TCustom> leaves `options` a Record<string, unknown> and widens
// `fieldConfig.defaults.custom` with one: this is a panel whose options and custom field config are exactly the
// panel plugin's schema types, so a misspelt or unknown member is an error too.
export type TypedPanel<Options, Custom> = Omit<Panel, 'options' | 'fieldConfig'> & {
  options?: Options;
  fieldConfig?: Omit<FieldConfigSource, 'defaults'> & {
    defaults: Omit<FieldConfig, 'custom'> & { custom?: Custom };
  };
};
