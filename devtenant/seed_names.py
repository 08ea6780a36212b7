"""Name, department and job-title pools the seed draws its fictional employees from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Culture:
    """One naming culture: where its people live and which language their Teams client uses."""

    countries: tuple[str, ...]
    language: str
    female_first: tuple[str, ...]
    male_first: tuple[str, ...]
    # (masculine form, feminine form); identical for surnames without a gendered form
    surnames: tuple[tuple[str, str], ...]


def _same(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((n, n) for n in names)


def cultures() -> tuple[Culture, ...]:
    """Polish, German and English cultures, in the proportions the tenant's people come from."""
    polish = Culture(
        countries=("PL",),
        language="pl-PL",
        female_first=("Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Magdalena", "Joanna", "Monika", "Ewa",
                      "Aleksandra", "Zofia", "Karolina", "Natalia", "Justyna", "Barbara", "Dorota", "Łucja",
                      "Zuzanna", "Weronika"),
        male_first=("Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Marcin", "Jakub", "Łukasz", "Grzegorz",
                    "Mateusz", "Wojciech", "Bartłomiej", "Jarosław", "Sławomir", "Rafał", "Dawid"),
        surnames=(("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Kamiński", "Kamińska"),
                  ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"), ("Szymański", "Szymańska"),
                  ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"),
                  ("Piotrowski", "Piotrowska"), ("Grabowski", "Grabowska"), ("Pawłowski", "Pawłowska"),
                  ("Michalski", "Michalska"), ("Jabłoński", "Jabłońska"), ("Górski", "Górska"))
        + _same("Nowak", "Wójcik", "Woźniak", "Mazur", "Krawczyk", "Król", "Wieczorek", "Wróbel", "Zając",
                "Łuczak"),
    )
    german = Culture(
        countries=("DE",),
        language="de-DE",
        female_first=("Lena", "Sophie", "Marie", "Katharina", "Sabine", "Petra", "Claudia", "Ute", "Jana",
                      "Hannah", "Birgit", "Anja", "Jördis", "Käthe"),
        male_first=("Jonas", "Lukas", "Maximilian", "Felix", "Jürgen", "Stefan", "Matthias", "Andreas", "Uwe",
                    "Björn", "Günther", "Jörg", "Klaus", "Tobias", "Sebastian"),
        surnames=_same("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
                       "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
                       "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Weiß",
                       "Groß", "Köhler", "Strauß"),
    )
    english = Culture(
        countries=("GB", "US"),
        language="en-US",
        female_first=("Emily", "Olivia", "Amelia", "Isla", "Sophia", "Charlotte", "Sarah", "Jessica", "Emma",
                      "Grace", "Chloe", "Megan"),
        male_first=("Oliver", "George", "Harry", "Jack", "James", "William", "Michael", "David", "Daniel",
                    "Thomas", "Samuel", "Ethan"),
        surnames=_same("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
                       "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
                       "Wood", "Jackson", "Clarke", "Miller", "Davis", "Harris", "Turner"),
    )
    return polish, german, english


# Department → job titles for its staff (the head gets "Head of <department>").
DEPARTMENT_TITLES: dict[str, tuple[str, ...]] = {
    "Sales": ("Account Executive", "Sales Representative", "Key Account Manager", "Sales Assistant"),
    "Marketing": ("Marketing Specialist", "Content Manager", "Brand Manager", "Event Coordinator"),
    "Finance": ("Accountant", "Financial Analyst", "Controller", "Payroll Specialist"),
    "Human Resources": ("HR Business Partner", "Recruiter", "HR Specialist"),
    "IT": ("Systems Engineer", "Service Desk Analyst", "Network Administrator", "Cloud Engineer"),
    "Operations": ("Operations Specialist", "Logistics Coordinator", "Warehouse Lead", "Planner"),
    "Legal": ("Legal Counsel", "Paralegal", "Compliance Officer"),
    "Customer Support": ("Support Agent", "Support Engineer", "Customer Success Manager"),
    "Engineering": ("Software Engineer", "Senior Software Engineer", "QA Engineer", "Product Owner"),
    "Procurement": ("Buyer", "Procurement Specialist", "Category Manager"),
}
