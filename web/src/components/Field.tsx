// Field is a labelled input with its error, sized for a thumb.
export function Field(props: {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  children: React.ReactElement;
}) {
  return (
    <div className="mb-3">
      <label htmlFor={props.id} className="mb-1 block font-medium">
        {props.label}
      </label>
      {props.children}
      {props.hint ? (
        <p id={`${props.id}-hint`} className="mt-1 text-sm text-stone-700">
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p id={`${props.id}-error`} className="mt-1 text-sm text-red-800">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

export const inputClass = "w-full rounded-lg bg-white px-3 py-2 ring-1 ring-stone-300";
export const buttonClass = "w-full rounded-full bg-emerald-800 px-4 py-3 font-semibold text-white disabled:opacity-60";
