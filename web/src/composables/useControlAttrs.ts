import { computed, useAttrs } from 'vue';

/** What a labelled form control (BaseInput, BaseSelect, BaseTextarea) shows around it. */
export interface FieldProps {
  label: string;
  hint?: string;
  errors?: readonly string[];
  required?: boolean;
}

/**
 * Splits a field component's fallthrough attributes: `class` and `style` place the whole field
 * (label, control, hint, errors) in its parent's layout; everything else — type, placeholder,
 * data-testid, listeners — belongs to the control itself. Use with `inheritAttrs: false`.
 */
export function useControlAttrs() {
  const attrs = useAttrs();
  const root = computed(() => ({ class: attrs.class, style: attrs.style }));
  const control = computed(() => {
    const { class: _class, style: _style, ...rest } = attrs;
    return rest;
  });
  return { root, control };
}
