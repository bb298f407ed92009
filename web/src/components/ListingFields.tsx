"use client";

import { useT } from "@/i18n/client";
import type { Key } from "@/i18n/messages/en";
import { categories } from "@/lib/markets";
import { Field, inputClass } from "./Field";

// The details of a listing a business types, as the new-listing and edit
// screens both show them.
export type ListingDetails = { title: string; category: string; price: string; city: string; description: string };

// ListingFields is the form's fields for a listing's details; every change
// goes to onChange at once (the screens keep it on the device).
export function ListingFields(props: { values: ListingDetails; currency: string; priceInvalid: boolean; onChange: (patch: Partial<ListingDetails>) => void }) {
  const t = useT();
  const { values: v, onChange } = props;
  return (
    <>
      <Field id="title" label={t("form.title")}>
        <input id="title" dir="auto" className={inputClass} value={v.title} onChange={(e) => onChange({ title: e.target.value })} maxLength={120} required minLength={3} />
      </Field>
      <Field id="category" label={t("listing.category")}>
        <select id="category" className={inputClass} value={v.category} onChange={(e) => onChange({ category: e.target.value })} required>
          {v.category ? null : <option value="">{t("form.choose")}</option>}
          {categories.map((c) => (
            <option key={c} value={c}>
              {t(`category.${c}` as Key)}
            </option>
          ))}
        </select>
      </Field>
      <Field id="price" label={props.currency ? t("form.price", { currency: props.currency }) : t("form.priceLabel")} error={v.price && props.priceInvalid ? t("form.priceError") : undefined}>
        <input id="price" inputMode="decimal" className={inputClass} value={v.price} onChange={(e) => onChange({ price: e.target.value })} required />
      </Field>
      <Field id="city" label={t("form.city")}>
        <input id="city" className={inputClass} value={v.city} onChange={(e) => onChange({ city: e.target.value })} maxLength={80} required autoComplete="address-level2" />
      </Field>
      <Field id="description" label={t("form.description")}>
        <textarea id="description" dir="auto" rows={4} className={inputClass} value={v.description} onChange={(e) => onChange({ description: e.target.value })} maxLength={5000} />
      </Field>
    </>
  );
}
