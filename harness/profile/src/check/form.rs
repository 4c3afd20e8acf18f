//! Findings about the file's form rather than its content: text encodings other than UTF-8 and
//! signed profiles armoured as text (`read::ReadNote`).

use super::ctx::Ctx;
use crate::read::{Armour, ReadNote};

pub(crate) fn notes(ctx: &mut Ctx, notes: &[ReadNote]) {
    for n in notes {
        match n {
            ReadNote::Transcoded { from } => ctx.emit(
                "IN-03",
                "",
                format!("the XML is {from}, not UTF-8: it was transcoded before checking (CFPropertyList on the device reads it; some MDM servers and validators accept only UTF-8)"),
                "save the profile as UTF-8 (e.g. `plutil -convert xml1`)".into(),
            ),
            ReadNote::Armoured(armour) => ctx.emit(
                "SIG-05",
                "",
                format!(
                    "the signed profile is {}, not the DER bytes of the CMS SignedData that Apple Configurator, `security cms -S` and MDM servers ship: the device is not documented to read this form and may reject the file",
                    armour.describe()
                ),
                format!(
                    "convert it to DER: `openssl cms -cmsout -inform {} -outform DER -in FILE -out FILE.der` (or sign with `-outform DER`)",
                    match armour {
                        Armour::Pem => "PEM",
                        Armour::Smime => "SMIME",
                    }
                ),
            ),
        }
    }
}
