package io.soma.streams.topologies.policy.detectors;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonemetadata.PhoneMetadata;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.List;

import static io.soma.streams.topologies.policy.detectors.DetectorAssertions.found;
import static org.assertj.core.api.Assertions.assertThat;

class PiiDetectorsTest {
    private static List<String> pii(String type, String text) {
        return found(DetectorKind.PII, type, text);
    }

    @Test
    void shouldFindCardsThatPassLuhnWithAKnownIssuer() {
        assertThat(pii("card", "visa 4111 1111 1111 1111, amex 378282246310005, mc 5555-5555-5555-4444."))
                .containsExactly("4111 1111 1111 1111", "378282246310005", "5555-5555-5555-4444");
    }

    @Test
    void shouldFindACardFollowedByItsExpiryOrCvv() {
        assertThat(pii("card", "card 4111 1111 1111 1111 12/25 please")).containsExactly("4111 1111 1111 1111");
        assertThat(pii("card", "card 4111 1111 1111 1111 123")).containsExactly("4111 1111 1111 1111");
        assertThat(pii("card", "card 5555-5555-5555-4444 07")).containsExactly("5555-5555-5555-4444");
        assertThat(pii("card", "card 4111 1111 1111 1111 1225 737")).containsExactly("4111 1111 1111 1111");
    }

    @Test
    void shouldFindACardAfterOtherDigitsOfItsRun() {
        assertThat(pii("card", "order 12 4111 1111 1111 1111")).containsExactly("4111 1111 1111 1111");
        assertThat(pii("card", "ref 2024-12-01 5555-5555-5555-4444")).containsExactly("5555-5555-5555-4444");
        assertThat(pii("card", "4111 1111 1111 1111 5555 5555 5555 4444"))
                .containsExactly("4111 1111 1111 1111", "5555 5555 5555 4444");
        assertThat(pii("card", "1 ".repeat(50_000) + "4111 1111 1111 1111")).containsExactly("4111 1111 1111 1111");
        assertThat(pii("card", "id 7 4111111111111111")).containsExactly("4111111111111111");
    }

    @Test
    void shouldFindACardWrittenRightAfterAWordAndADash() {
        assertThat(pii("card", "visa-4111-1111-1111-1111")).containsExactly("4111-1111-1111-1111");
        assertThat(pii("card", "card-4111111111111111")).containsExactly("4111111111111111");
        assertThat(pii("card", "-4111 1111 1111 1111")).containsExactly("4111 1111 1111 1111");
    }

    @Test
    void shouldStartNoCardInsideAPhoneNumberOrATableOfSmallNumbers() {
        // 360-8353 688-342-9893 is 17 digits of a Diners range that pass Luhn
        assertThat(pii("card", "call 852-360-8353 688-342-9893")).isEmpty();
        assertThat(pii("card", "scores 1 36 0 83 53 68 83 42 98 93 12 7")).isEmpty();
    }

    @Test
    void shouldNotFindCardLookAlikes() {
        assertThat(pii("card", "fails Luhn 4111 1111 1111 1112")).isEmpty();
        assertThat(pii("card", "passes Luhn, no issuer starts with 12: 1234567890123452")).isEmpty();
        assertThat(pii("card", "amex prefix with a Visa length: 3782822463100058")).isEmpty();
        assertThat(pii("card", "order 4111111111")).isEmpty();
    }

    @Test
    void shouldFindIbansWithTheirCountryLengthAndMod97() {
        assertThat(pii("iban", "pay DE89 3704 0044 0532 0130 00 today or GB82WEST12345698765432 AND more"))
                .containsExactly("DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432");
    }

    @Test
    void shouldNotFindIbansThatFailMod97OrTheirCountryLength() {
        assertThat(pii("iban", "DE89 3704 0044 0532 0130 01")).isEmpty();
        assertThat(pii("iban", "DE89 3704 0044 0532 0130 0")).isEmpty();
        assertThat(pii("iban", "GB82WEST1234569876543")).isEmpty();
        assertThat(pii("iban", "XX89 3704 0044 0532 0130 00")).isEmpty();
    }

    @Test
    void shouldFindSsnsOutsideTheNeverIssuedRanges() {
        assertThat(pii("ssn", "ssn 123-45-6789 and 078 05 1121")).containsExactly("123-45-6789", "078 05 1121");
    }

    @Test
    void shouldNotFindSsnsInNeverIssuedRanges() {
        for (String invalid : List.of("000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567",
                "123-45-0000", "123-45 6789", "123-45-67890")) {
            assertThat(pii("ssn", "number " + invalid)).as(invalid).isEmpty();
        }
    }

    @Test
    void shouldFindAPhoneNumberWrittenInDigitsOfAnotherScript() {
        // full-width digits, as an IME types them: libphonenumber reads them, so the trigger must let them through
        assertThat(pii("phone", "call \uff14\uff11\uff15\uff15\uff15\uff15\uff10\uff11\uff13\uff12"))
                .hasSize(1);
    }

    @Test
    void shouldFindPhoneNumbersValidInTheirPlan() {
        assertThat(pii("phone", "call +44 20 7946 0958 or (201) 555-0123 or +1 650-253-0000"))
                .containsExactly("+44 20 7946 0958", "(201) 555-0123", "+1 650-253-0000");
    }

    /**
     * The phone detector searches the text in stretches between ASCII letters no candidate can hold: a newer
     * libphonenumber whose candidate pattern spells another letter (a new extension label) must fail here.
     */
    @Test
    void shouldKnowEveryAsciiLetterOfLibphonenumbersCandidatePattern() throws ReflectiveOperationException {
        StringBuilder pattern = new StringBuilder();
        for (String field : List.of("EXTN_PATTERNS_FOR_MATCHING", "VALID_PUNCTUATION", "PLUS_CHARS")) {
            Field f = PhoneNumberUtil.class.getDeclaredField(field);
            f.setAccessible(true);
            pattern.append(f.get(null));
        }
        // regex escapes (\p{Nd}, \t) spell no letter of the text
        String letters = pattern.toString().replaceAll("\\\\p\\{\\w+}|\\\\[A-Za-z]", "")
                .chars().filter(c -> c < 128 && Character.isLetter(c))
                .map(Character::toLowerCase).distinct().sorted()
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();

        assertThat(PiiDetectors.PHONE_CANDIDATE_LETTERS).isEqualTo(letters);
    }

    /** The phone trigger and the phone windows skip what has fewer digits than the shortest valid number. */
    @Test
    void shouldNeedNoMoreDigitsThanTheShortestValidNumberHas() throws ReflectiveOperationException {
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        Method metadata = PhoneNumberUtil.class.getDeclaredMethod("getMetadataForRegion", String.class);
        metadata.setAccessible(true);
        int shortest = Integer.MAX_VALUE;
        for (String region : util.getSupportedRegions()) {
            PhoneMetadata m = (PhoneMetadata) metadata.invoke(util, region);
            int countryCode = String.valueOf(m.getCountryCode()).length();
            for (int length : m.getGeneralDesc().getPossibleLengthList()) {
                shortest = Math.min(shortest, countryCode + length);
            }
        }
        Method global = PhoneNumberUtil.class.getDeclaredMethod("getMetadataForNonGeographicalRegion", int.class);
        global.setAccessible(true);
        for (int countryCode : util.getSupportedGlobalNetworkCallingCodes()) {
            PhoneMetadata m = (PhoneMetadata) global.invoke(util, countryCode);
            for (int length : m.getGeneralDesc().getPossibleLengthList()) {
                shortest = Math.min(shortest, String.valueOf(countryCode).length() + length);
            }
        }

        assertThat(PiiDetectors.PHONE_MIN_DIGITS).isLessThanOrEqualTo(shortest);
    }

    @Test
    void shouldNotFindPhoneLookAlikes() {
        assertThat(pii("phone", "version 1.2.3, order 12345, year 2024, 3.14159265")).isEmpty();
        assertThat(pii("phone", "+44 20 7946")).isEmpty();
    }

    @Test
    void shouldFindEmailAddresses() {
        assertThat(pii("email", "write to jane.doe+news@mail.example.co.uk, or (bob@example.org)."))
                .containsExactly("jane.doe+news@mail.example.co.uk", "bob@example.org");
    }

    @Test
    void shouldFindNoAddressInALongDottedRunWithoutOverflowingTheStack() {
        // unbounded, the address's repeated groups made java.util.regex recurse once per "a."
        assertThat(pii("email", "@ " + "a.".repeat(16_000))).isEmpty();
        assertThat(pii("email", "a.".repeat(16_000) + "@example.org")).isEmpty();
        assertThat(pii("email", "x@" + "a.".repeat(16_000) + "org")).isEmpty();
    }

    @Test
    void shouldNotFindEmailLookAlikes() {
        assertThat(pii("email", "user@localhost, @handle, a@b, name@-bad.com")).isEmpty();
    }

    @Test
    void shouldFindIpAddresses() {
        assertThat(pii("ip", "hosts 192.168.1.20, 2001:db8::1 and fe80:0:0:0:202:b3ff:fe1e:8329."))
                .containsExactly("192.168.1.20", "2001:db8::1", "fe80:0:0:0:202:b3ff:fe1e:8329");
    }

    @Test
    void shouldNotFindIpLookAlikes() {
        assertThat(pii("ip", "999.1.1.1, version 1.2.3, at 10:30:00, mac 00:1A:2B:3C:4D:5E, 1::2::3")).isEmpty();
    }

    @Test
    void shouldFindRealDatesAfterABirthWord() {
        assertThat(pii("date_of_birth", "I was born on 1984-03-07. DOB: 07/03/1984; birthday March 12, 1985;"
                + " date of birth 12th of March 1985"))
                .containsExactly("1984-03-07", "07/03/1984", "March 12, 1985", "12th of March 1985");
    }

    /** Every spelling the pattern takes: DetectorTriggersTest checks that the evaluator's trigger lets each through. */
    @Test
    void shouldFindADateAfterDobSpelledWithAnyOfItsDots() {
        // one text each: the evaluator triggers a detector for the whole text, on any of its words
        assertThat(pii("date_of_birth", "D.OB: 03/07/1984")).containsExactly("03/07/1984");
        assertThat(pii("date_of_birth", "Do.B: 12/03/1985")).containsExactly("12/03/1985");
        assertThat(pii("date_of_birth", "d.o.b. 01/02/1990")).containsExactly("01/02/1990");
    }

    @Test
    void shouldNotFindDatesWithoutContextOrThatDoNotExist() {
        assertThat(pii("date_of_birth", "the meeting is on 1984-03-07")).isEmpty();
        assertThat(pii("date_of_birth", "born on 1984-02-30")).isEmpty();
        assertThat(pii("date_of_birth", "born on 13/13/1984")).isEmpty();
        assertThat(pii("date_of_birth", "born in 1850-01-01")).isEmpty();
    }

    @Test
    void shouldSelectSeveralTypesOrAll() {
        String text = "mail bob@example.org card 4111111111111111";
        assertThat(DetectorSelection.of(DetectorKind.PII, "email, card").find(text))
                .extracting(Detection::type).containsExactly("pii.email", "pii.card");
        assertThat(DetectorSelection.of(DetectorKind.PII, "*").find(text))
                .extracting(Detection::type).containsExactly("pii.email", "pii.card");
        assertThat(DetectorSelection.problem(DetectorKind.PII, "card passport")).hasValueSatisfying(
                p -> assertThat(p).contains("'passport' is not a pii type"));
    }
}
