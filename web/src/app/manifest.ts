import type { MetadataRoute } from "next";

// The web app manifest: installable on a phone's home screen, opening
// straight into the signed-in home.
export default function manifest(): MetadataRoute.Manifest {
  return {
    name: "PushNchat",
    short_name: "PushNchat",
    description: "Listings, partnerships and chat for small businesses.",
    start_url: "/app",
    scope: "/",
    display: "standalone",
    orientation: "portrait",
    background_color: "#fafaf9",
    theme_color: "#065f46",
    icons: [{ src: "/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" }],
  };
}
