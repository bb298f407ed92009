// Alert is a message the reader must not miss: an error in what they did
// (tone "error"), or a part of the app that cannot be reached right now
// ("unreachable"). Screen readers announce it when it appears.
export function Alert({ tone, className = "", children }: { tone: "error" | "unreachable"; className?: string; children: React.ReactNode }) {
  const look = tone === "error" ? "bg-red-50 text-red-900" : "bg-amber-100";
  return (
    <p role="alert" className={`${className} rounded p-3 ${look}`.trim()}>
      {children}
    </p>
  );
}
