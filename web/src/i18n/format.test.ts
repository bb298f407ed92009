import { describe, expect, it } from "vitest";
import { smallCount, translate } from "./format";
import { dirOf, locales, negotiate, regional } from "./locales";
import ar from "./messages/ar";
import en from "./messages/en";
import fr from "./messages/fr";
import yo from "./messages/yo";

describe("messages", () => {
  it("fill placeholders, numbers in the locale's digits", () => {
    expect(translate("en", en, "mine.signedInAs", { email: "ada@example.com" })).toBe("Signed in as ada@example.com");
    expect(translate("en", en, "chat.unread", { n: 1200 })).toBe("1,200 unread messages");
    expect(translate("fr", fr, "chat.unread", { n: 1200 })).toBe("1\u202f200 messages non lus");
  });
  it("write small counts as Intl.NumberFormat would, in every language", () => {
    for (const l of locales)
      for (const n of [0, 7, 42, 999]) {
        expect(smallCount(n)).toBe(true);
        expect(String(n), l).toBe(new Intl.NumberFormat(l).format(n));
      }
    for (const n of [1000, -1, 2.5]) expect(smallCount(n), String(n)).toBe(false);
  });
  it("pick the plural form by the locale's rules", () => {
    expect(translate("en", en, "chat.unread", { n: 1 })).toBe("1 unread message");
    expect(translate("fr", fr, "chat.unread", { n: 0 })).toBe("0 message non lu"); // French: 0 is singular
    expect(translate("ar", ar, "chat.unread", { n: 0 })).toBe("لا رسائل غير مقروءة");
    expect(translate("ar", ar, "chat.unread", { n: 2 })).toBe("رسالتان غير مقروءتين");
    expect(translate("ar", ar, "chat.unread", { n: 3 })).toBe("3 رسائل غير مقروءة");
    expect(translate("ar", ar, "chat.unread", { n: 11 })).toBe("11 رسالة غير مقروءة");
  });

  it("isolates filled-in Latin text in a right-to-left language only", () => {
    expect(translate("ar", ar, "market.title", { market: "نيجيريا" })).not.toContain("\u2068");
    expect(translate("ar", ar, "signup.willLive", { cells: "nairobi-1" })).toBe("ستُحفظ بيانات نشاطك التجاري في \u2068nairobi-1\u2069.");
    expect(translate("fr", fr, "signup.willLive", { cells: "nairobi-1" })).not.toContain("\u2068");
    expect(translate("yo", yo, "chat.unread", { n: 1 })).toBe("ìfiránṣẹ́ 1 tí a kò tíì kà"); // Yoruba has one form
  });
  it("show a key whose message the page did not hand over, rather than fail", () => {
    expect(translate("en", {}, "chat.send")).toBe("chat.send");
  });
  it("leave an unknown placeholder visible rather than drop it", () => {
    expect(translate("en", en, "chat.typing", {})).toBe("{name} is typing…");
  });
});

describe("the reader's language", () => {
  it("is their choice first, then their browser's, then English", () => {
    expect(negotiate("ar", "fr-FR,fr;q=0.9")).toBe("ar");
    expect(negotiate(undefined, "de-DE,de;q=0.9,sw;q=0.8,en;q=0.5")).toBe("sw");
    expect(negotiate("xx", "pt-BR")).toBe("pt");
    expect(negotiate(undefined, "de-DE,ru;q=0.5")).toBe("en");
    expect(negotiate(undefined, "fr;q=0, ha")).toBe("ha");
    expect(negotiate(undefined, null)).toBe("en");
  });
  it("reads right to left in Arabic only", () => {
    expect(dirOf("ar")).toBe("rtl");
    expect(dirOf("zu")).toBe("ltr");
  });
  it("formats a market's numbers in the reader's language with the market's region", () => {
    expect(regional("fr", "NG")).toBe("fr-NG");
  });
});
