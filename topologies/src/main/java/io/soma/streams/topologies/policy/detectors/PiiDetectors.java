package io.soma.streams.topologies.policy.detectors;

import com.google.i18n.phonenumbers.PhoneNumberMatch;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import org.iban4j.CountryCode;
import org.iban4j.IbanUtil;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Personal data. Every type validates what the format allows, so numbers that only look right do not match:
 * cards must pass Luhn and start with a known issuer range of the right length, IBANs must have their country's
 * length and pass mod-97 (iban4j), SSNs must not be in a range the SSA never issues, phone numbers must be valid
 * in their number plan (libphonenumber), dates of birth must be real dates next to a birth word.
 */
final class PiiDetectors {
    private PiiDetectors() {
    }

    /** National phone numbers are read as US numbers; any number written with {@code +} in its own country's plan. */
    static final String PHONE_DEFAULT_REGION = "US";
    /**
     * Digits the shortest valid number has: country code and national number together (Austria's +43 and four
     * digits); a US national number has 10.
     */
    static final int PHONE_MIN_DIGITS = 6;

    static final List<DetectorType> TYPES = List.of(
            new DetectorType(DetectorKind.PII, "email", "e-mail addresses (local@domain.tld, dot-atoms only)",
                    // repetitions of a group are bounded (a local part holds at most 64 characters, a domain 253):
                    // java.util.regex recurses once per repetition, and "a.a.a..." unbounded overflows the stack
                    Trigger.anyOf("@"), CandidatePattern.of("(?<![\\w.%+-])[A-Za-z0-9_%+-]+"
                            + "(?:\\.[A-Za-z0-9_%+-]+){0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)"
                            + "{1,126}[A-Za-z]{2,24}(?![\\w-])")),
            new DetectorType(DetectorKind.PII, "phone", "phone numbers in E.164 (+ and country code) or US national"
                    + " format, valid in their number plan (libphonenumber)",
                    // libphonenumber reads digits of any script: "４１５５５５０１３２" is a number too
                    Trigger.decimalDigits(PHONE_MIN_DIGITS), PiiDetectors::phones),
            new DetectorType(DetectorKind.PII, "ssn", "US social security numbers written 123-45-6789 or 123 45 6789,"
                    + " without the never-issued ranges (area 000, 666, 900-999; group 00; serial 0000)",
                    Trigger.digits(9), new CandidatePattern(
                            Pattern.compile("(?<![\\d-])\\d{3}(?:-\\d{2}-| \\d{2} )\\d{4}(?![\\d-])"), 0,
                            CandidatePattern.whole(PiiDetectors::issuableSsn))),
            new DetectorType(DetectorKind.PII, "card", "payment card numbers (13-19 digits, spaces or dashes allowed)"
                    + " that pass Luhn and start with a known issuer range of a length that issuer uses",
                    Trigger.digits(13), PiiDetectors::cards),
            new DetectorType(DetectorKind.PII, "iban", "IBANs, compact or in groups of four, with their country's"
                    + " length and structure and a valid mod-97 check (iban4j)", Trigger.ibanStart(), PiiDetectors::ibans),
            new DetectorType(DetectorKind.PII, "ip", "IPv4 (dotted quad, each part 0-255) and IPv6 addresses",
                    Trigger.anyOf(".", ":"), PiiDetectors::ipAddresses),
            new DetectorType(DetectorKind.PII, "date_of_birth", "real calendar dates (1900-2099) within 25 characters"
                    + " after a birth word (born, date of birth, DOB, birthday)",
                    Trigger.anyOfIgnoringCase("born", "birth", "dob", "d.o.b", "d.ob", "do.b"),
                            new CandidatePattern(DateOfBirth.PATTERN, 1, CandidatePattern.whole(DateOfBirth::realDate))));

    // --- phone -------------------------------------------------------------------------------------------------

    private static final PhoneNumberUtil PHONES = PhoneNumberUtil.getInstance();
    /**
     * The ASCII letters libphonenumber's candidate pattern can hold, in either case: those of its extension labels
     * ({@code ext}, {@code extension}, {@code anexo}, {@code int}, {@code x}). Any other ASCII letter ends every
     * candidate, so the text between two of them can be searched on its own.
     */
    static final String PHONE_CANDIDATE_LETTERS = "aeinostx";
    /** Digit-holding stretches closer than this are searched in one call, as each call has a cost of its own. */
    private static final int PHONE_WINDOW_GAP = 64;

    /**
     * What {@code findNumbers} finds in the whole text, searched only in the stretches between letters that end a
     * candidate ({@link #PHONE_CANDIDATE_LETTERS}) that hold a digit (every candidate does). No candidate spans
     * such a letter and no state of the search carries past one, and each stretch is searched with the letter on
     * either side, which is all the library reads around a candidate: so the spans are those of the whole text.
     * Stretches close together are searched as one window; a window with fewer than {@link #PHONE_MIN_DIGITS}
     * digits (of any script) holds no valid number and is not searched.
     */
    private static List<Detector.Span> phones(String text) {
        List<Detector.Span> spans = new ArrayList<>();
        int stretchStart = 0;
        int stretchDigits = 0;
        int windowStart = -1;
        int windowEnd = -1;
        int windowDigits = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i < text.length() && !endsPhoneCandidates(text.charAt(i))) {
                char c = text.charAt(i);
                // a supplementary digit is a surrogate pair: count each surrogate as a window's worth of digits
                stretchDigits += Character.isDigit(c) ? 1 : Character.isSurrogate(c) ? PHONE_MIN_DIGITS : 0;
                continue;
            }
            if (stretchDigits > 0) {
                if (windowStart >= 0 && stretchStart - windowEnd > PHONE_WINDOW_GAP) {
                    phones(text, windowStart, windowEnd, windowDigits, spans);
                    windowStart = -1;
                }
                if (windowStart < 0) {
                    windowStart = stretchStart;
                    windowDigits = 0;
                }
                windowEnd = i;
                windowDigits += stretchDigits;
            }
            stretchStart = i + 1;
            stretchDigits = 0;
        }
        if (windowStart >= 0) {
            phones(text, windowStart, windowEnd, windowDigits, spans);
        }
        return spans;
    }

    private static final boolean[] ENDS_PHONE_CANDIDATES = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            boolean ends = PHONE_CANDIDATE_LETTERS.indexOf(c) < 0;
            ENDS_PHONE_CANDIDATES[c] = ends;
            ENDS_PHONE_CANDIDATES[Character.toUpperCase(c)] = ends;
        }
    }

    private static boolean endsPhoneCandidates(char c) {
        return c < 128 && ENDS_PHONE_CANDIDATES[c];
    }

    /** The numbers in {@code [from, to)}, searched with the char on either side for context. */
    private static void phones(String text, int from, int to, int digits, List<Detector.Span> spans) {
        if (digits < PHONE_MIN_DIGITS) {
            return;
        }
        int contextStart = Math.max(0, from - 1);
        String window = text.substring(contextStart, Math.min(text.length(), to + 1));
        for (PhoneNumberMatch match : PHONES.findNumbers(window, PHONE_DEFAULT_REGION,
                PhoneNumberUtil.Leniency.VALID, Long.MAX_VALUE)) {
            spans.add(new Detector.Span(contextStart + match.start(), contextStart + match.end()));
        }
    }

    // --- SSN ---------------------------------------------------------------------------------------------------

    private static final Pattern SSN_PARTS = Pattern.compile("(\\d{3})[- ](\\d{2})[- ](\\d{4})");

    static boolean issuableSsn(String candidate) {
        Matcher m = SSN_PARTS.matcher(candidate);
        if (!m.matches()) {
            return false;
        }
        int area = Integer.parseInt(m.group(1));
        return area != 0 && area != 666 && area < 900
                && Integer.parseInt(m.group(2)) != 0 && Integer.parseInt(m.group(3)) != 0;
    }

    // --- card --------------------------------------------------------------------------------------------------

    private static final int CARD_MIN_DIGITS = 13;
    private static final int CARD_MAX_DIGITS = 19;

    /**
     * Cards in runs of ASCII digit groups joined by single spaces or dashes. A run starts at a digit after neither a
     * digit nor a dash that follows one ({@code visa-4111-...} starts at {@code 4111}). A card may share its run with
     * other digits: an order number before it, its expiry "12 25" or CVV after it. So a card starts at the run's first
     * group, or at a later one that follows a space and is written as every card network writes a card's first group
     * (4 digits, or the whole number in one group of 13-19); it ends at the end of a group (a group is never split).
     * The leftmost start is taken first, with the longest card there; the next search starts after it. A phone number
     * ({@code 360-8353}) or a table of small numbers therefore starts no card in the middle of a run. Runs have no
     * length limit, and the scan is linear: from each group, only the groups within 19 digits are tried.
     */
    static List<Detector.Span> cards(String text) {
        List<Detector.Span> spans = new ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            if (!asciiDigit(text.charAt(i)) || (i > 0 && (asciiDigit(text.charAt(i - 1))
                    || (text.charAt(i - 1) == '-' && i > 1 && asciiDigit(text.charAt(i - 2)))))) {
                i++;
                continue;
            }
            List<int[]> groups = new ArrayList<>();
            int end = i;
            while (true) {
                int groupStart = end;
                while (end < n && asciiDigit(text.charAt(end))) {
                    end++;
                }
                groups.add(new int[] {groupStart, end});
                boolean joined = end + 1 < n && (text.charAt(end) == ' ' || text.charAt(end) == '-')
                        && asciiDigit(text.charAt(end + 1));
                if (!joined) {
                    break;
                }
                end++;
            }
            cardsInRun(text, groups, spans);
            i = end;
        }
        return spans;
    }

    private static void cardsInRun(String text, List<int[]> groups, List<Detector.Span> spans) {
        int first = 0;
        while (first < groups.size()) {
            int found = canStartACard(text, groups, first) ? longestCardFrom(text, groups, first) : -1;
            if (found < 0) {
                first++;
            } else {
                spans.add(new Detector.Span(groups.get(first)[0], groups.get(found)[1]));
                first = found + 1;
            }
        }
    }

    private static boolean canStartACard(String text, List<int[]> groups, int group) {
        if (group == 0) {
            return true;
        }
        int start = groups.get(group)[0];
        int digits = groups.get(group)[1] - start;
        return text.charAt(start - 1) == ' ' && (digits == 4 || (digits >= CARD_MIN_DIGITS && digits <= CARD_MAX_DIGITS));
    }

    /** The last group of the longest card that starts at group {@code first}, or -1. */
    private static int longestCardFrom(String text, List<int[]> groups, int first) {
        int found = -1;
        StringBuilder digits = new StringBuilder(CARD_MAX_DIGITS);
        for (int last = first; last < groups.size(); last++) {
            digits.append(text, groups.get(last)[0], groups.get(last)[1]);
            if (digits.length() > CARD_MAX_DIGITS) {
                break;
            }
            if (digits.length() >= CARD_MIN_DIGITS && cardDigits(digits.toString())) {
                found = last;
            }
        }
        return found;
    }

    private static boolean asciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** 13 to 19 ASCII digits of a known issuer's range and length that pass Luhn. */
    private static boolean cardDigits(String digits) {
        return digits.length() >= CARD_MIN_DIGITS && digits.length() <= CARD_MAX_DIGITS && knownIssuer(digits)
                && Checksums.luhn(digits);
    }

    /** Issuer ranges (IIN prefixes) of the major networks and the lengths each issues. */
    private static boolean knownIssuer(String d) {
        int n = d.length();
        int two = Integer.parseInt(d.substring(0, 2));
        int three = Integer.parseInt(d.substring(0, 3));
        int four = Integer.parseInt(d.substring(0, 4));
        int six = Integer.parseInt(d.substring(0, 6));
        boolean visa = d.charAt(0) == '4' && (n == 13 || n == 16 || n == 19);
        boolean mastercard = n == 16 && ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720));
        boolean amex = n == 15 && (two == 34 || two == 37);
        boolean discover = n >= 16 && (four == 6011 || (three >= 644 && three <= 649) || two == 65
                || (six >= 622126 && six <= 622925));
        boolean jcb = n >= 16 && four >= 3528 && four <= 3589;
        boolean diners = n >= 14 && ((three >= 300 && three <= 305) || two == 36 || two == 38 || two == 39);
        boolean unionPay = n >= 16 && two == 62;
        boolean maestro = n >= 12 && (four == 5018 || four == 5020 || four == 5038 || four == 5893 || four == 6304
                || four == 6759 || four == 6761 || four == 6762 || four == 6763);
        return visa || mastercard || amex || discover || jcb || diners || unionPay || maestro;
    }

    // --- IBAN --------------------------------------------------------------------------------------------------

    private static final Pattern IBAN_CANDIDATE = Pattern.compile(
            "(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?:[A-Z0-9]{4}|[ ][A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])");

    /** A candidate is cut to its country's IBAN length (iban4j knows it), so words after it do not spoil it. */
    private static List<Detector.Span> ibans(String text) {
        List<Detector.Span> spans = new ArrayList<>();
        Matcher m = IBAN_CANDIDATE.matcher(text);
        while (m.find()) {
            CountryCode country = CountryCode.getByCode(m.group().substring(0, 2));
            if (country == null || !IbanUtil.isSupportedCountry(country)) {
                continue;
            }
            int length = IbanUtil.getIbanLength(country);
            StringBuilder compact = new StringBuilder();
            int end = m.start();
            while (end < m.end() && compact.length() < length) {
                char c = text.charAt(end++);
                if (c != ' ') {
                    compact.append(c);
                }
            }
            boolean wholeToken = end == m.end() || text.charAt(end) == ' ';
            if (compact.length() == length && wholeToken && IbanUtil.isValid(compact.toString())) {
                spans.add(new Detector.Span(m.start(), end));
            }
        }
        return spans;
    }

    // --- IP addresses ------------------------------------------------------------------------------------------

    private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile(
            "(?<![\\d.])" + OCTET + "(?:\\." + OCTET + "){3}(?!\\.?\\d)");
    private static final Pattern IPV6_CANDIDATE = Pattern.compile(
            "(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\\w:])");
    private static final Detector IPV4_ADDRESSES = new CandidatePattern(IPV4, 0, CandidatePattern.whole(c -> true));
    private static final Detector IPV6_ADDRESSES = new CandidatePattern(IPV6_CANDIDATE, 0,
            CandidatePattern.whole(PiiDetectors::ipv6));

    private static List<Detector.Span> ipAddresses(String text) {
        List<Detector.Span> spans = new ArrayList<>(IPV4_ADDRESSES.find(text));
        spans.addAll(IPV6_ADDRESSES.find(text));
        spans.sort((a, b) -> Integer.compare(a.start(), b.start()));
        return spans;
    }

    /** RFC 4291 text form without an embedded IPv4 part: eight groups, or fewer around a single {@code ::}. */
    static boolean ipv6(String candidate) {
        int gap = candidate.indexOf("::");
        if (gap >= 0 && candidate.indexOf("::", gap + 1) >= 0) {
            return false;
        }
        String[] halves = gap < 0 ? new String[]{candidate} : new String[]{candidate.substring(0, gap),
                candidate.substring(gap + 2)};
        int groups = 0;
        for (String half : halves) {
            if (half.isEmpty()) {
                continue;
            }
            for (String group : half.split(":", -1)) {
                if (group.isEmpty() || group.length() > 4) {
                    return false;
                }
                groups++;
            }
        }
        return gap < 0 ? groups == 8 : groups >= 1 && groups <= 7;
    }

    // --- date of birth -----------------------------------------------------------------------------------------

    /** Dates count only in context: a bare date is not personal data, "born on 1984-03-07" is. */
    static final class DateOfBirth {
        private static final String MONTH = "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
                + "|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
        private static final String DATE = "\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{4}"
                + "|\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?" + MONTH + "\\.?,?\\s+\\d{4}"
                + "|" + MONTH + "\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}";
        static final Pattern PATTERN = Pattern.compile(
                "\\b(?:born|date\\s+of\\s+birth|d\\.?o\\.?b\\b\\.?|birth\\s*date|birthday)[^\\n\\d]{0,25}?"
                        + "(?<![\\w])(" + DATE + ")(?!\\d)",
                Pattern.CASE_INSENSITIVE);
        private static final Pattern NUMERIC = Pattern.compile("(\\d+)[/.-](\\d+)[/.-](\\d+)");
        private static final Pattern WITH_MONTH = Pattern.compile("(?i)(\\d{1,2})?\\D*?(" + MONTH + ")\\D*(\\d{1,2})?"
                + "\\D*?(\\d{4})");
        private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                "sep", "oct", "nov", "dec");

        private DateOfBirth() {
        }

        static boolean realDate(String date) {
            Matcher numeric = NUMERIC.matcher(date);
            if (numeric.matches()) {
                int a = Integer.parseInt(numeric.group(1));
                int b = Integer.parseInt(numeric.group(2));
                int c = Integer.parseInt(numeric.group(3));
                // ISO year first; otherwise either month/day or day/month
                return numeric.group(1).length() == 4 ? exists(a, b, c) : exists(c, a, b) || exists(c, b, a);
            }
            Matcher named = WITH_MONTH.matcher(date);
            if (!named.find()) {
                return false;
            }
            String day = named.group(1) != null ? named.group(1) : named.group(3);
            int month = MONTHS.indexOf(named.group(2).substring(0, 3).toLowerCase(Locale.ROOT)) + 1;
            return day != null && exists(Integer.parseInt(named.group(4)), month, Integer.parseInt(day));
        }

        private static boolean exists(int year, int month, int day) {
            if (year < 1900 || year > 2099) {
                return false;
            }
            try {
                LocalDate.of(year, month, day);
                return true;
            } catch (DateTimeException e) {
                return false;
            }
        }
    }
}
