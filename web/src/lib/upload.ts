import { cell, csrfToken } from "@/lib/session";

// uploadPhoto adds a photo (already downscaled on the phone) to a listing,
// as the multipart form the cell takes. The Idempotency-Key makes a retry
// repeat the upload instead of adding the photo twice.
export function uploadPhoto(tenant: string, listing: string, photo: Blob, idempotencyKey: string) {
  const form = new FormData();
  form.append("photo", photo, "photo.jpg");
  return cell.POST("/v1/t/{tenant}/listings/{listing}/photos", {
    params: { path: { tenant, listing }, header: { "Idempotency-Key": idempotencyKey } },
    headers: { "X-CSRF-Token": csrfToken() },
    body: { photo: "" }, // stands for the multipart form the serializer sends
    bodySerializer: () => form,
  });
}
