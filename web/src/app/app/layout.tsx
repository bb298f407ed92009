import { QueryProvider } from "@/lib/query";

// Everything behind sign-in shares one query cache in the browser, so
// moving between screens does not read the same thing again.
export default function SignedInLayout({ children }: { children: React.ReactNode }) {
  return <QueryProvider>{children}</QueryProvider>;
}
