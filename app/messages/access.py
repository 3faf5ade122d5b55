"""French messages of access control, accounts, serving and backups (``access.*`` codes)."""
from geo.access import ACTIONS


def _forbidden(p: dict) -> str:
    what = ACTIONS.get(p.get("action"), p.get("action"))
    return f"Votre rôle « {p.get('role')} » ne permet pas de {what}. Demandez ce droit à un administrateur."


MESSAGES: dict = {
    "access.forbidden": _forbidden,
    "access.unknown_role": "Rôle inconnu « {role} » : choisissez parmi {roles}.",
    "access.bad_login": "Identifiant invalide « {login} » : 1 à 200 caractères, sans caractère de contrôle.",
    "access.weak_password": "Mot de passe trop court : au moins {minimum} caractères.",
    "access.password_mismatch": "Les deux mots de passe saisis diffèrent.",
    "access.unknown_user": "Aucun compte « {login} ».",
    "access.user_exists": "Le compte « {login} » existe déjà.",
    "access.bad_credentials": "Identifiant ou mot de passe incorrect.",
    "access.locked": "Trop d'essais manqués : compte bloqué, réessayez dans {minutes} min "
                     "(ou demandez à un administrateur : secteurs users passwd).",
    "access.account_disabled": "Le compte « {login} » est désactivé. Adressez-vous à un administrateur.",
    "access.not_enrolled": "Vous êtes identifié(e) comme {email}, mais aucun compte secteurs actif ne "
                           "correspond. Un administrateur peut l'ouvrir : "
                           "secteurs users add {email} --role lecture --sso",
    "access.auth_required": (
        "L'application servie sur l'adresse {address} serait visible de tout le réseau : "
        "elle ne démarre pas sans authentification. Choisissez --auth local (comptes de la base : "
        "créez d'abord un compte avec « secteurs users add NOM --role admin --db BASE ») ou --auth oidc "
        "--secrets secrets.toml (fournisseur d'identité de l'établissement, section [auth] : "
        "redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url). "
        "Sans réseau, lancez simplement « secteurs app » (localhost)."),
    "access.no_accounts": "Aucun compte actif avec mot de passe dans {db} : créez-en un avec "
                          "« secteurs users add NOM --role admin --db {db} » avant --auth local.",
    "access.oidc_secrets_missing": "--auth oidc demande --secrets FICHIER (secrets.toml avec une section "
                                   "[auth]) : {path} est introuvable.",
    "access.oidc_secrets_invalid": "Le fichier {path} n'est pas un TOML lisible : {reason}.",
    "access.oidc_secrets_incomplete": "La section [auth] de {path} doit contenir : {missing}.",
    "access.oidc_url_not_absolute": "Dans {path}, {key} doit être une adresse complète (http:// ou https://).",
    "access.served_without_auth": "Cette application est servie sur le réseau ({address}) sans "
                                  "authentification : elle refuse de s'afficher. Relancez-la avec "
                                  "« secteurs app --address {address} --auth local » ou « --auth oidc ».",
    "access.upload_too_large": "Le fichier « {name} » pèse {size_mb} Mo : la limite est de {limit_mb} Mo.",
    "access.backup_target_exists": "{path} existe déjà : choisissez un autre nom (rien n'a été écrasé).",
    "access.backup_source_missing": "Aucune base à sauvegarder : {path} n'existe pas.",
    "access.restore_source_missing": "Sauvegarde introuvable : {path}.",
    "access.restore_not_a_database": "{path} n'est pas une base SQLite intacte ({reason}) : "
                                     "rien n'a été restauré.",
    "access.restore_not_secteurs": "{path} n'est pas une sauvegarde de secteurs (aucune table connue) : "
                                   "rien n'a été restauré.",
    "access.restore_needs_confirmation": "La restauration remplace tout le contenu de {path} : "
                                         "relancez avec --yes pour confirmer (une copie de l'état actuel "
                                         "est gardée dans {keep}).",
}
